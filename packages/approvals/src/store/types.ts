import type { AuditOutbox } from '@gatehouse/audit';
import type { KubernetesIdentity } from '@gatehouse/config';
import type { Clock, Unanswered } from '@gatehouse/lifecycle';
import type { Action } from '@gatehouse/policy';
import type { RedisTarget } from '@gatehouse/redis';
import type { ApprovalRequest, ApprovalState, HeldRequest } from '../model.js';

export interface ApprovalsOptions {
  /**
   * A `redis://` URL or the config's `redis` section (Sentinel, ACL user, TLS, and how many replicas
   * must confirm a claim, vote or new approval before it is acted on: `minReplicasToAck`).
   */
  readonly redis: RedisTarget;
  /** Namespace of every key and queue name (the config's `redis.keyPrefix`, e.g. 'gatehouse'). */
  readonly prefix: string;
  /** @defaultValue the system clock */
  readonly clock?: Clock | undefined;
  /** How long a request waits for votes before it expires. */
  readonly requestTtlMs: number;
  /** How long an approved request not dispatched on its held connection stays claimable by a retry. */
  readonly grantTtlMs: number;
  /**
   * How long after an exec, attach or port-forward is denied or expires its identical request gets
   * that same refusal from `open` instead of a new approval. kubectl retries a refused WebSocket
   * upgrade over SPDY at once, on whichever replica; a person re-running the command later asks
   * anew. 0 turns it off. @defaultValue 60000
   */
  readonly connectRetryWindowMs?: number | undefined;
  /** How long a record is kept after its last possible use (for `show` and audits). @defaultValue 7 days */
  readonly retainMs?: number | undefined;
  /** Expiry sweep period; 0 turns the sweeper off (call `sweepExpired()` yourself). @defaultValue 1000 */
  readonly sweepIntervalMs?: number | undefined;
  /**
   * `waitForDecision` re-reads this often besides listening, so a pub/sub message lost to a
   * reconnect only delays a decision. @defaultValue 5000
   */
  readonly pollIntervalMs?: number | undefined;
  /**
   * How long a held connection counts as present without its process renewing it (three times a
   * lease, in Redis's time). A gateway that crashes never calls `leave`: once its leases run out, any
   * sweeper records the requester as gone. @defaultValue 30000
   */
  readonly presenceLeaseMs?: number | undefined;
  /**
   * Moves the transition events (pushed to the audit outbox by the same script as each change) into
   * the audit chain; called after every change and by the sweeper. Without it the events wait in the
   * outbox for a process that has one (the gateway and the slackbot both do).
   */
  readonly audit?: AuditOutbox | undefined;
  /** Background failures (sweeper, refresh enqueue). @defaultValue process.emitWarning */
  readonly onError?: ((error: Error) => void) | undefined;
}

export interface OpenInput {
  readonly cluster: string;
  readonly agent: string;
  /** Slack user ids owning the agent; none of them may vote on its requests. */
  readonly owners: readonly string[];
  readonly action: Action;
  readonly command: string;
  readonly request: HeldRequest;
  /** Who the request runs as on the cluster; absent where the cluster does not impersonate. */
  readonly runAs?: KubernetesIdentity | undefined;
  readonly rule: string;
  readonly reason: string;
  readonly group: string;
  readonly approvalsNeeded: number;
  /**
   * The W3C `traceparent` of the gateway span holding the opening request (telemetry on), kept so
   * the slackbot's vote spans link to it. A join keeps the opener's.
   */
  readonly traceparent?: string | undefined;
}

export interface OpenResult {
  readonly approval: ApprovalRequest;
  /**
   * True when an existing approval answers this request: the identical pending one from the same
   * agent, or (connect verbs only) the one just refused, see `repeatedUntil`.
   */
  readonly joined: boolean;
  /**
   * Set when `approval` is an identical exec/attach/port-forward denied, expired or stale within
   * `connectRetryWindowMs`: this request gets that refusal again, and so does every identical
   * one until this time (epoch ms); after it, `open` asks anew.
   */
  readonly repeatedUntil?: number | undefined;
}

export interface VoteInput {
  readonly userId: string;
  readonly userName?: string | undefined;
  readonly decision: 'approve' | 'deny';
  readonly reason?: string | undefined;
  /**
   * Why the caller refuses this click before it counts (not in the approver group, the lookup
   * failed, not the approval's message): recorded as a refused vote, nothing else changes.
   */
  readonly refusal?: string | undefined;
}

interface VoteResultBase {
  /** The approval right after this vote (or unchanged, for refusals). */
  readonly approval: ApprovalRequest;
  /** Distinct approve votes so far, and how many are needed. */
  readonly approvals: number;
  readonly needed: number;
}

export type VoteResult =
  | (VoteResultBase & { readonly outcome: 'recorded' })
  /** The same person voted before; nothing changed. */
  | (VoteResultBase & { readonly outcome: 'duplicate' })
  /** This vote completed N: exactly one caller ever sees this for an approval. */
  | (VoteResultBase & { readonly outcome: 'approved' })
  /** This vote denied: exactly one caller ever sees this for an approval. */
  | (VoteResultBase & { readonly outcome: 'denied' })
  /** The voter owns the requesting agent; nothing changed. */
  | (VoteResultBase & { readonly outcome: 'refused-owner' })
  /** Decided before this vote; `decidedBy` are the approvers, or the denier. */
  | (VoteResultBase & {
      readonly outcome: 'already-decided';
      readonly state: Exclude<ApprovalState, 'pending' | 'expired'>;
      readonly decidedBy: readonly string[];
    })
  /** Past its expiry (possibly expired by this very call); nothing recorded. */
  | (VoteResultBase & { readonly outcome: 'expired' })
  /** The caller's `refusal`: recorded as refused, nothing counted. */
  | (VoteResultBase & { readonly outcome: 'refused' });

export interface PageInput {
  /** `nextCursor` of the previous page. */
  readonly cursor?: string | undefined;
  /** 1..1000 */
  readonly limit: number;
  /** @defaultValue 'oldest' */
  readonly order?: 'oldest' | 'newest' | undefined;
}

export interface Page {
  /** Pending approvals; `request.bodyBase64` is omitted to keep pages small (use `get`). */
  readonly items: readonly ApprovalRequest[];
  /** Absent on the last page. */
  readonly nextCursor?: string | undefined;
}

export type ChangeKind =
  | 'created'
  | 'vote'
  | 'approved'
  | 'denied'
  | 'expired'
  | 'dispatched'
  | 'completed'
  | 'stale'
  | 'slack'
  | 'preview'
  /** A held connection left or came back (no state change; the message says so). */
  | 'presence'
  | 'lapsed';

/** Published on the events channel after every change; `revision` orders changes of one approval. */
export interface ApprovalChange {
  readonly id: string;
  readonly state: ApprovalState;
  readonly revision: number;
  readonly change: ChangeKind;
}

export interface WaitOptions {
  readonly timeoutMs: number;
  /** Aborting rejects with the signal's reason (the client went away). */
  readonly signal?: AbortSignal | undefined;
}

/**
 * How a claimed dispatch ended: the cluster's answer, or none (`unanswered`) — a status the gateway
 * made up (499, 503) would be recorded and shown as the cluster's answer, so there is none.
 */
export type CompleteInput =
  | {
      /** Upstream HTTP status (101 for a switched protocol). */
      readonly status: number;
      readonly durationMs: number;
    }
  | { readonly unanswered: Unanswered; readonly durationMs: number };
