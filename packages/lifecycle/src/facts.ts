/**
 * One projection from an approval's state to words. Every surface (the Slack message, the owners'
 * DM, the approver's reply, `/gatehouse show`, `gatehouse-audit show`, what kubectl prints) says
 * these facts through these functions, from the same state, so they cannot disagree. Each surface
 * formats times its own way (`Time`): Slack's date tokens, ISO in a terminal.
 */

/** Formats an epoch-milliseconds time for one surface. */
export type Time = (ms: number) => string;

export const isoTime: Time = (ms) => new Date(ms).toISOString();

/** Where an approval's run stands, as Redis holds it or as its audit events tell it. */
export interface RunFacts {
  readonly state:
    | 'pending'
    | 'approved'
    | 'denied'
    | 'expired'
    | 'dispatched'
    | 'completed'
    | 'lapsed'
    | 'stale';
  /** When the last held connection went, while none is held. */
  readonly requesterGoneAt?: number | undefined;
  /** Until when an approved, unsent request can be claimed by the agent's retry. */
  readonly grantExpiresAt?: number | undefined;
  /** When the unused grant ran out. */
  readonly lapsedAt?: number | undefined;
  /** When it was sent to the cluster, and what the cluster answered (once recorded). */
  readonly sentAt?: number | undefined;
  readonly status?: number | undefined;
}

/** Pending, no held connection: approving creates a grant for a retry, nothing is sent now. */
export function requesterGoneFact(at: number, time: Time): string {
  return `the requester disconnected at ${time(at)} (approving creates a one-time grant)`;
}

/** Approved with no held connection: a grant. */
export function grantWaitingFact(until: number, time: Time): string {
  return `approved — the agent disconnected, so it runs only if the agent re-runs the same command before ${time(until)}`;
}

/** Approved while held: the holding gateway sends it. */
export function sendingFact(): string {
  return 'approved — the gateway sends it to the cluster on the held connection now';
}

export function lapsedFact(at: number, time: Time): string {
  return `approved but never ran: the grant expired unused at ${time(at)}`;
}

/** Sent; "answered" only once the cluster's answer is recorded. */
export function sentFact(at: number, status: number | undefined, time: Time): string {
  return status === undefined
    ? `sent to the cluster at ${time(at)}, waiting for its answer`
    : `sent to the cluster at ${time(at)}, answered ${status}`;
}

/**
 * The fact about running for the current state, or undefined where there is none to tell (denied,
 * expired, pending with a requester waiting). Nothing is said to be sent without `sentAt`.
 */
export function runFact(facts: RunFacts, time: Time): string | undefined {
  switch (facts.state) {
    case 'pending':
      return facts.requesterGoneAt === undefined ? undefined : requesterGoneFact(facts.requesterGoneAt, time);
    case 'approved':
      return facts.requesterGoneAt !== undefined && facts.grantExpiresAt !== undefined
        ? grantWaitingFact(facts.grantExpiresAt, time)
        : sendingFact();
    case 'lapsed':
      return lapsedFact(facts.lapsedAt ?? facts.grantExpiresAt ?? 0, time);
    case 'dispatched':
    case 'completed':
      return facts.sentAt === undefined ? undefined : sentFact(facts.sentAt, facts.status, time);
    case 'denied':
    case 'expired':
    case 'stale':
      return undefined;
  }
}
