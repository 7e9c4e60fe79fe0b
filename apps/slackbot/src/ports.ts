import type { Approvals } from '@gatehouse/approvals';

/**
 * The slice of the approvals store the bot uses. A `Pick` rather than the class, so tests can wrap
 * it (e.g. fail `setSlackMessage` once to prove a crash between post and save posts nothing twice).
 */
export type ApprovalsPort = Pick<
  Approvals,
  | 'get'
  | 'vote'
  | 'listPending'
  | 'countPending'
  | 'setSlackMessage'
  | 'queueNames'
  | 'place'
  | 'postForReview'
  | 'promoteWaiting'
  | 'burst'
  | 'setBurstMessage'
>;

/** Structured logging (pino fits); never handed tokens or request bodies. */
export interface Log {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/** One line of an approval's audit trail, for `show`. */
export interface TrailEntry {
  /** ISO 8601 UTC. */
  readonly time: string;
  readonly type: string;
  readonly detail?: string | undefined;
}

/** Reads an approval's audit trail; optional (without it `show` leaves the trail out). */
export interface AuditTrailPort {
  trail(approvalId: string): Promise<readonly TrailEntry[]>;
}
