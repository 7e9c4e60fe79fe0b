/**
 * One projection from an approval's state to words. Every surface (the Slack message, the owners'
 * DM, the approver's reply, `/gatehouse show`, `gatehouse-audit show`, what kubectl prints) says
 * these facts through these functions, from the same state, so they cannot disagree. Each surface
 * formats times its own way (`Time`): Slack's date tokens, ISO in a terminal.
 */

/** Formats an epoch-milliseconds time for one surface. */
export type Time = (ms: number) => string;

export const isoTime: Time = (ms) => new Date(ms).toISOString();

/** The states an approval moves through; the diagram is in ARCHITECTURE.md ("The approval's states"). */
export type ApprovalState =
  | 'pending'
  | 'approved'
  | 'denied'
  | 'expired'
  | 'dispatched'
  | 'completed'
  /** Claimed for dispatch, but the target was no longer the one approved: nothing was sent. */
  | 'stale'
  /** Approved, and the one-time grant ran out before anyone claimed it: never sent. */
  | 'lapsed';

/** Where an approval's run stands, as Redis holds it or as its audit events tell it. */
export interface RunFacts {
  readonly state: ApprovalState;
  /** When the last held connection went, while none is held. */
  readonly requesterGoneAt?: number | undefined;
  /** Until when an approved, unsent request can be claimed by the agent's retry. */
  readonly grantExpiresAt?: number | undefined;
  /** When the unused grant ran out. */
  readonly lapsedAt?: number | undefined;
  /** When a gateway claimed the dispatch, and on which connection. A claim is not a send. */
  readonly claimedAt?: number | undefined;
  readonly via?: 'hold' | 'grant' | undefined;
  /** What the cluster answered: only with it is anything said to be sent. */
  readonly status?: number | undefined;
  /** When it was denied or expired. */
  readonly decidedAt?: number | undefined;
  /** Why an approved request was not sent (state stale): one sentence. */
  readonly staleReason?: string | undefined;
  /** A completed dispatch the cluster never answered (state completed, no status). */
  readonly unanswered?: Unanswered | undefined;
}

/**
 * Why a dispatch has no answer: `not-sent`, the requester left after the claim and before anything
 * went out; `no-answer`, it went out (or may have) and no answer came back — the cluster was
 * unreachable, or the requester left while it was waiting. `why` says it in a few words.
 */
export interface Unanswered {
  readonly kind: 'not-sent' | 'no-answer';
  readonly why: string;
}

const viaWords = (via: 'hold' | 'grant' | undefined) =>
  via === 'grant' ? "by the agent's retry" : 'on the held connection';

/** Pending, no held connection: approving creates a grant for a retry, nothing is sent now. */
export function requesterGoneFact(at: number, time: Time): string {
  return `the requester disconnected at ${time(at)} (approving creates a one-time grant)`;
}

/** Approved with no held connection: a grant. */
export function grantWaitingFact(until: number, time: Time): string {
  return `approved — the agent disconnected, so it runs only if the agent re-runs the same command before ${time(until)}`;
}

/** Approved while held: the holding gateway claims it next (it may still end stale: its target is checked first). */
export function sendingFact(): string {
  return 'approved — the gateway holding the request sends it to the cluster next';
}

/** Claimed for dispatch, no answer recorded: the send may be under way, or it may end stale. Never "sent". */
export function claimedFact(at: number, via: 'hold' | 'grant' | undefined, time: Time): string {
  return `approved — claimed for dispatch at ${time(at)} ${viaWords(via)}; no answer from the cluster is recorded yet`;
}

export function lapsedFact(at: number, time: Time): string {
  return `approved but never ran: the grant expired unused at ${time(at)}`;
}

/** Sent: said only once the cluster's answer is recorded. */
export function sentFact(at: number, status: number, time: Time): string {
  return `sent to the cluster at ${time(at)}, answered ${status}`;
}

/** Approved and claimed, and nothing went out: `reason` (the target changed, the requester left). */
export function notSentFact(reason: string): string {
  return `approved but not sent: ${reason}`;
}

/** It went out, or may have, and the cluster's answer never came: whether it ran is not known here. */
export function unansweredFact(
  at: number,
  via: 'hold' | 'grant' | undefined,
  why: string,
  time: Time,
): string {
  return `approved — the gateway tried to send it at ${time(at)} ${viaWords(via)}, but no answer from the cluster was recorded (${why}); whether it ran is unknown: the cluster's audit log names the approval`;
}

export function deniedFact(): string {
  return 'denied; nothing was sent to the cluster';
}

export function expiredFact(at: number | undefined, time: Time): string {
  return at === undefined
    ? 'expired without a decision; nothing was sent to the cluster'
    : `expired at ${time(at)} without a decision; nothing was sent to the cluster`;
}

/**
 * The fact about running for the current state; undefined only while pending with a requester
 * waiting (there is nothing to tell yet). Nothing is said to be sent without a recorded status.
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
      return claimedFact(facts.claimedAt ?? 0, facts.via, time);
    case 'completed':
      if (facts.status !== undefined) return sentFact(facts.claimedAt ?? 0, facts.status, time);
      if (facts.unanswered?.kind === 'not-sent') return notSentFact(facts.unanswered.why);
      if (facts.unanswered !== undefined)
        return unansweredFact(facts.claimedAt ?? 0, facts.via, facts.unanswered.why, time);
      return claimedFact(facts.claimedAt ?? 0, facts.via, time);
    case 'stale':
      return notSentFact(facts.staleReason ?? 'its target changed after it was approved');
    case 'denied':
      return deniedFact();
    case 'expired':
      return expiredFact(facts.decidedAt, time);
  }
}
