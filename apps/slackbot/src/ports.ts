import type { Approvals } from '@gatehouse/approvals';

/**
 * The slice of the approvals store the bot uses. A `Pick` rather than the class, so tests can wrap
 * it (e.g. fail `setSlackMessage` once to prove a crash between post and save posts nothing twice).
 */
export type ApprovalsPort = Pick<
  Approvals,
  'get' | 'vote' | 'listPending' | 'countPending' | 'setSlackMessage' | 'queueNames'
>;

/** Where the bot records votes and decisions; `@gatehouse/audit`'s log fits. */
export interface AuditPort {
  record(event: AuditEventInput): Promise<unknown>;
}

/** The audit events the bot writes (the matching members of `@gatehouse/audit`'s AuditEventInput). */
export type AuditEventInput =
  | {
      readonly type: 'vote';
      readonly approvalId: string;
      readonly user: SlackUserRef;
      readonly group: string;
      readonly decision: 'approve' | 'deny';
      readonly outcome: 'accepted' | 'refused';
      readonly reason?: string | undefined;
      readonly tally?: { readonly approvals: number; readonly needed: number } | undefined;
    }
  | {
      readonly type: 'approval.approved';
      readonly approvalId: string;
      readonly approvers: readonly SlackUserRef[];
    }
  | {
      readonly type: 'approval.denied';
      readonly approvalId: string;
      readonly by: SlackUserRef;
      readonly reason: string;
    }
  | { readonly type: 'approval.expired'; readonly approvalId: string };

export interface SlackUserRef {
  readonly id: string;
  readonly name?: string | undefined;
}

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
