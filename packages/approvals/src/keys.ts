import { auditKeys } from '@gatehouse/audit';

/**
 * Every Redis key, channel and BullMQ queue name Gatehouse uses, built in one place
 * (a wrong key order is the classic Lua bug; see each script's KEYS header).
 */
export interface Keys {
  /** Hash: one approval request (all fields but the body). */
  approval(id: string): string;
  /** String: the held request body (base64), deleted once it can no longer be dispatched. */
  body(id: string): string;
  /** String: id of the latest approval with this fingerprint (join while pending, grant once approved). */
  fingerprint(fingerprint: string): string;
  /** Sorted set, all scores 0, members `pendingMember()`: pending approvals in creation order. */
  readonly pending: string;
  /** Sorted set, score expiresAt, member id: what the expiry sweeper looks at. */
  readonly expiries: string;
  /** Sorted set, score grantExpiresAt, member id: approved, unclaimed grants the sweeper lapses. */
  readonly grants: string;
  /** Hash: how many of an approval's held connections each store instance (process) holds. */
  holders(id: string): string;
  /**
   * Sorted set, score the lease's end (Redis server time, ms), member `presenceMember()`: the held
   * connections' presence, renewed by the holding process; a lapsed lease means it crashed or was
   * cut off, and the sweeper counts its connections gone.
   */
  readonly presence: string;
  /**
   * Set of approval ids: the agent's pending approvals that have (or are getting) a message of their
   * own. Past `slack.coalesceAfter` of them, a new one waits in the agent's burst message instead.
   * Every transition out of pending removes its id (vote, expire), so the set is always current.
   */
  posted(agent: string): string;
  /**
   * Sorted set, score createdAt, member id: the agent's pending approvals listed in its burst
   * message, oldest first (the order they get their own message). Transitions out of pending remove them.
   */
  waiting(agent: string): string;
  /** Hash `channel`, `ts`: the agent's burst message, while it has one. */
  burst(agent: string): string;
  /** The audit log's outbox (`@gatehouse/audit` auditKeys): every transition pushes its event here. */
  readonly outbox: string;
  /** Pub/sub channel: one JSON `ApprovalChange` per change. */
  readonly events: string;
}

export function keysFor(prefix: string): Keys {
  return {
    approval: (id) => `${prefix}:approval:${id}`,
    body: (id) => `${prefix}:approval:${id}:body`,
    fingerprint: (fingerprint) => `${prefix}:fingerprint:${fingerprint}`,
    pending: `${prefix}:pending`,
    expiries: `${prefix}:expiries`,
    grants: `${prefix}:grants`,
    holders: (id) => `${prefix}:approval:${id}:holders`,
    presence: `${prefix}:presence`,
    posted: (agent) => `${prefix}:agent:${agent}:posted`,
    waiting: (agent) => `${prefix}:agent:${agent}:waiting`,
    burst: (agent) => `${prefix}:agent:${agent}:burst`,
    outbox: auditKeys(prefix).outbox,
    events: `${prefix}:events`,
  };
}

/**
 * Member of the pending index: fixed-width creation time then id, so lexicographic order is creation
 * order and a member is a stable pagination cursor (ZRANGE BYLEX), even when many share a millisecond.
 */
export function pendingMember(createdAt: number, id: string): string {
  return `${String(createdAt).padStart(16, '0')}:${id}`;
}

/** Member of the presence set: the holding store instance, then the approval id (ids have no '|'). */
export function presenceMember(instance: string, id: string): string {
  return `${instance}|${id}`;
}

/** The instance and approval id of a presence member. */
export function parsePresenceMember(member: string): { instance: string; id: string } {
  const at = member.indexOf('|');
  return { instance: member.slice(0, at), id: member.slice(at + 1) };
}

/** BullMQ queue names; BullMQ keeps its own key prefix (`bull`), so only the name is shared. */
export interface QueueNames {
  /**
   * New approval requests; job name `post`, job id = approval id (posted once), or
   * `promoted-<approval id>` for a coalesced approval given its own message.
   */
  readonly approvals: string;
  /**
   * Message refreshes after votes and transitions; job name `refresh`, deduplicated per approval;
   * job name `burst`, an agent's burst message, deduplicated per agent.
   */
  readonly slack: string;
}

export function queueNamesFor(prefix: string): QueueNames {
  return { approvals: `${prefix}-approvals`, slack: `${prefix}-slack` };
}

/** BullMQ's own key prefix for our queues (its default), for tests that clean up after themselves. */
export const BULLMQ_PREFIX = 'bull';
