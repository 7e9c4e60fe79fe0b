import type { KubernetesIdentity } from '@gatehouse/config';

/**
 * Every audit event type, in one place. Callers pass an {@link AuditEventInput} to
 * `audit.record()`; the log stores it as a {@link StoredEvent}: redacted, stamped with a
 * time, a sequence number and the hash chain fields.
 */

/** What the policy engine made of the request; `Action` from @gatehouse/policy fits this shape. */
export interface ActionSummary {
  readonly kind: string;
  readonly verb: string;
  readonly apiGroup?: string | undefined;
  readonly apiVersion?: string | undefined;
  readonly resource?: string | undefined;
  readonly subresource?: string | undefined;
  readonly namespace?: string | undefined;
  readonly name?: string | undefined;
  readonly path?: string | undefined;
}

/** `Decision` from @gatehouse/policy fits this shape. */
export interface DecisionSummary {
  readonly effect: 'allow' | 'deny' | 'require';
  readonly rule: string | null;
  readonly reason?: string | undefined;
  readonly group?: string | undefined;
  readonly approvals?: number | undefined;
  /**
   * The record an allow rule asked for, where it lowered it (absent: the full record, the Kubernetes
   * audit level Request). `Metadata`: the event keeps the request without its body and with only the
   * headers Kubernetes' Metadata level keeps (see redact/). `None` requests are not recorded; the
   * gateway counts them instead, and one recorded anyway is stored as `Metadata`.
   */
  readonly auditLevel?: 'None' | 'Metadata' | undefined;
  /** Rules in audit or warn mode that matched: what each would have done had it been enforced. */
  readonly observed?:
    | readonly {
        readonly rule: string;
        readonly mode: 'audit' | 'warn';
        readonly effect: 'allow' | 'deny' | 'require';
        readonly reason: string;
      }[]
    | undefined;
}

/** A Slack user as the approval message shows them. */
export interface SlackUser {
  readonly id: string;
  readonly name?: string | undefined;
}

/**
 * How the gateway knew the agent: a static token (its hash in the config) or an identity token an
 * identity provider signed, named by the provider and the token's `sub`. The token itself is never recorded.
 */
export type AgentIdentitySummary =
  | { readonly method: 'static-token' }
  | { readonly method: 'oidc'; readonly provider: string; readonly subject: string };

/** The HTTP request as the gateway received it; the log keeps a redacted form (see redact/). */
export interface RequestInput {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  /** The peer address of the agent's connection (the last proxy's, behind one). */
  readonly remoteAddress?: string | undefined;
  readonly headers?: Readonly<Record<string, string | readonly string[] | undefined>> | undefined;
  readonly body?: Uint8Array | string | undefined;
}

/** A request body as stored: always its hash; its content only with `bodies: 'full'` and never for Secrets or tokens. */
export interface StoredBody {
  readonly sha256: string;
  readonly bytes: number;
  /** Set when the content was withheld although `bodies: 'full'` (Secrets, tokens). */
  readonly withheld?: 'secret';
  readonly text?: string;
  /** Content that is not UTF-8 (protobuf). */
  readonly base64?: string;
}

export interface StoredRequest {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly remoteAddress?: string;
  /** Lower-case names; credentials replaced by `[REDACTED]`. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: StoredBody;
}

/**
 * The cluster's answer to an allowed request, in that request's one event: its status and how long the
 * cluster took to start answering; `unreachable` when it never answered (the gateway's own 503 is not
 * the cluster's, so it is not recorded as a status); `aborted` when the agent went away before it did.
 * Events written before `unreachable` existed record an unreachable cluster as status 503.
 */
export type ResponseSummary =
  | { readonly status: number; readonly durationMs: number }
  | { readonly unreachable: true; readonly durationMs: number }
  | { readonly aborted: true };

interface RequestReceivedFields {
  readonly type: 'request.received';
  /** The gateway's id for this request (in the gateway's log lines about it too). */
  readonly requestId?: string | undefined;
  readonly approvalId?: string | undefined;
  readonly agent: string;
  readonly cluster: string;
  readonly action: ActionSummary;
  /** kubectl-style rendering: `kubectl delete deployment web -n prod`. */
  readonly command: string;
  readonly decision: DecisionSummary;
  /** Who the request runs as on the cluster; absent where the cluster runs agents as the gateway itself. */
  readonly runAs?: KubernetesIdentity | undefined;
  /** How the agent was identified; absent in events written before identity providers existed. */
  readonly identity?: AgentIdentitySummary | undefined;
  /**
   * Set on an allowed request, which is recorded once, when the cluster's answer starts (Kubernetes
   * audit's ResponseStarted stage; for a small response that is its ResponseComplete): one event per
   * allowed request instead of this one plus an `upstream.response`. Absent on denied and gated requests,
   * recorded when they are judged; a gated request's answer is its approval's `upstream.response`.
   * Events written before this field existed have an `upstream.response` with the same `requestId`.
   */
  readonly response?: ResponseSummary | undefined;
}

export interface RequestReceivedInput extends RequestReceivedFields {
  readonly request: RequestInput;
}

export interface RequestReceivedEvent extends RequestReceivedFields {
  readonly request: StoredRequest;
  /** The `Kubectl-Command` and `Kubectl-Session` headers kubectl sends. */
  readonly kubectl: { readonly command?: string; readonly session?: string };
}

export interface ApprovalRequestedEvent {
  readonly type: 'approval.requested';
  readonly approvalId: string;
  readonly agent: string;
  readonly cluster: string;
  readonly command: string;
  readonly rule: string;
  readonly reason: string;
  readonly group: string;
  readonly approvalsNeeded: number;
  /** ISO 8601 UTC. */
  readonly expiresAt: string;
  /** Who the request will run as on the cluster once approved; absent without impersonation. */
  readonly runAs?: KubernetesIdentity | undefined;
}

/** The blast radius the gateway read from the cluster for a new approval (counts and names, never contents). */
export interface ApprovalPreviewEvent {
  readonly type: 'approval.preview';
  readonly approvalId: string;
  readonly status: 'ready' | 'unavailable';
  /** One line, as the approval message shows it: `Would delete namespace x with 3 deployments, …; dry run: would succeed`. */
  readonly summary: string;
  readonly durationMs: number;
}

export interface VoteEvent {
  readonly type: 'vote';
  readonly approvalId: string;
  readonly user: SlackUser;
  readonly group: string;
  readonly decision: 'approve' | 'deny';
  /** `refused` when the click changed nothing (not in the group, the requester's owner, already decided). */
  readonly outcome: 'accepted' | 'refused';
  /** Why a vote was refused, or the reason a denier gave. */
  readonly reason?: string | undefined;
  /** Distinct approvals so far and needed, after this vote. */
  readonly tally?: { readonly approvals: number; readonly needed: number } | undefined;
}

export interface ApprovalApprovedEvent {
  readonly type: 'approval.approved';
  readonly approvalId: string;
  readonly approvers: readonly SlackUser[];
  /**
   * When the approval took effect in the approvals store (ISO). The event itself may be written a
   * little later, after the gateway has already dispatched: this is the time to report.
   */
  readonly decidedAt?: string | undefined;
}

export interface ApprovalDeniedEvent {
  readonly type: 'approval.denied';
  readonly approvalId: string;
  readonly by: SlackUser;
  readonly reason: string;
  /** When the denial took effect in the approvals store (ISO). */
  readonly decidedAt?: string | undefined;
}

export interface ApprovalExpiredEvent {
  readonly type: 'approval.expired';
  readonly approvalId: string;
}

/** Another identical request from the same agent joined the pending approval (its connection is held too). */
export interface ApprovalJoinedEvent {
  readonly type: 'approval.joined';
  readonly approvalId: string;
  readonly agent: string;
}

/**
 * The agent already had `slack.coalesceAfter` approvals on their own Slack messages (or older ones
 * waited): this one has no message of its own yet and is listed in the agent's burst message.
 */
export interface ApprovalCoalescedEvent {
  readonly type: 'approval.coalesced';
  readonly approvalId: string;
  readonly agent: string;
  /** The agent's approvals waiting in its burst message, this one included. */
  readonly waiting: number;
}

/**
 * A coalesced approval got its own Slack message, where it is voted on as any other: an approver
 * clicked "Post for review" (`by`), or, without `by`, one of the agent's own messages ended and its
 * place went to the oldest waiting approval.
 */
export interface ApprovalPromotedEvent {
  readonly type: 'approval.promoted';
  readonly approvalId: string;
  readonly agent: string;
  readonly by?: SlackUser | undefined;
}

/** Every held connection of the approval is gone (kubectl interrupted, gateway restarted or timed out). */
export interface RequesterDisconnectedEvent {
  readonly type: 'requester.disconnected';
  readonly approvalId: string;
  /** Said when no connection left cleanly: the holding gateway's presence lease ran out. */
  readonly why?: string | undefined;
}

/** A held connection is back after all had gone (an identical request joined). */
export interface RequesterBackEvent {
  readonly type: 'requester.back';
  readonly approvalId: string;
}

/** The approved request has no held connection: it runs only if the agent re-runs it before `expiresAt`. */
export interface GrantIssuedEvent {
  readonly type: 'grant.issued';
  readonly approvalId: string;
  /** ISO 8601 UTC. */
  readonly expiresAt: string;
}

/** The grant ran out before the agent re-ran the request: approved, and never sent. */
export interface GrantExpiredEvent {
  readonly type: 'grant.expired';
  readonly approvalId: string;
}

/**
 * The dispatched request ended: what the cluster answered, or — never as a status — that it did
 * not (`unanswered`: `not-sent`, the requester left before it went out; `no-answer`, unreachable or
 * the requester left while it was waiting, so whether it ran is unknown).
 */
export type ApprovalCompletedEvent =
  | {
      readonly type: 'approval.completed';
      readonly approvalId: string;
      readonly status: number;
      readonly durationMs: number;
    }
  | {
      readonly type: 'approval.completed';
      readonly approvalId: string;
      readonly unanswered: 'not-sent' | 'no-answer';
      readonly why: string;
      readonly durationMs: number;
    };

export interface DispatchEvent {
  readonly type: 'dispatch';
  readonly approvalId: string;
  /** On the held connection, or by the agent's retry using a grant. */
  readonly via: 'hold' | 'grant';
  /** Which gateway replica sent it. */
  readonly holder?: string | undefined;
}

/**
 * An approved request not sent: at dispatch its target was no longer the one approved (recreated,
 * modified, a namespace grown) or could not be confirmed. The approval ends in state `stale`.
 */
export interface ApprovalStaleEvent {
  readonly type: 'approval.stale';
  readonly approvalId: string;
  /** The sentence kubectl and Slack show: `namespace x was recreated after it was approved (uid …); nothing was sent; re-run to ask again`. */
  readonly reason: string;
  /** Which gateway replica claimed the dispatch and refused to send it. */
  readonly holder?: string | undefined;
}

/**
 * A dispatch claim undone because Redis could not confirm it on a replica (WAIT): nothing was sent,
 * the agent got a 503, and the approval is approved again, for the agent's re-run to claim once.
 */
export interface DispatchReleasedEvent {
  readonly type: 'dispatch.released';
  readonly approvalId: string;
  /** The gateway replica whose claim it was. */
  readonly holder?: string | undefined;
  /** Why it was not confirmed (the REDIS_NOT_DURABLE message). */
  readonly reason: string;
}

/**
 * The cluster's answer to an approved request, as the gateway that sent it saw it. Only an answer the
 * cluster gave: when it gave none, the approval's `approval.completed` says so (`no-answer`).
 */
export interface UpstreamResponseEvent {
  readonly type: 'upstream.response';
  readonly approvalId?: string | undefined;
  readonly requestId?: string | undefined;
  readonly cluster: string;
  readonly status: number;
  readonly durationMs: number;
}

export interface GrantUsedEvent {
  readonly type: 'grant.used';
  readonly approvalId: string;
  readonly agent: string;
}

/**
 * A request the gateway refused because a limit was reached (overload, not policy): too many held,
 * too many body bytes in memory, a body too large to hold, or a body that did not arrive in time.
 */
export interface RequestLimitedEvent {
  readonly type: 'request.limited';
  readonly requestId: string;
  readonly agent: string;
  readonly cluster: string;
  readonly method: string;
  readonly path: string;
  /** The gatehouse.yaml key that refused it, e.g. `gateway.maxHeldPerAgent`. */
  readonly limit: string;
  /** The HTTP status the agent got (429, 413, 408). */
  readonly status: number;
  /** What the agent was told. */
  readonly message: string;
}

export interface SessionRecordedEvent {
  readonly type: 'session.recorded';
  readonly approvalId: string;
  /** Path of the asciicast v2 file. */
  readonly path: string;
  readonly command: string;
  readonly durationMs: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** Why the recording stopped early, when it did. */
  readonly error?: string | undefined;
  /** Why nothing of the session could be recorded: the file at `path` holds only its header. */
  readonly notRecorded?: string | undefined;
}

/**
 * What an approved port-forward carried, when its connection ended: counts only, never contents
 * (a port-forward has no recording).
 */
export interface SessionForwardedEvent {
  readonly type: 'session.forwarded';
  readonly approvalId: string;
  readonly command: string;
  readonly durationMs: number;
  /** Forwarded connections: one per client connection over SPDY, one per port over the WebSocket channel protocol. */
  readonly connections: number;
  /** Bytes the agent sent to the pod's ports. */
  readonly bytesIn: number;
  /** Bytes the pod's ports sent back. */
  readonly bytesOut: number;
  /** Why the session could not be counted (the counts are then what was read before). */
  readonly notCounted?: string | undefined;
}

/** Events stored as given (after redaction). */
type PlainEvent =
  | ApprovalRequestedEvent
  | ApprovalPreviewEvent
  | VoteEvent
  | ApprovalApprovedEvent
  | ApprovalDeniedEvent
  | ApprovalExpiredEvent
  | ApprovalJoinedEvent
  | ApprovalCoalescedEvent
  | ApprovalPromotedEvent
  | RequesterDisconnectedEvent
  | RequesterBackEvent
  | GrantIssuedEvent
  | GrantExpiredEvent
  | ApprovalCompletedEvent
  | DispatchEvent
  | DispatchReleasedEvent
  | ApprovalStaleEvent
  | UpstreamResponseEvent
  | GrantUsedEvent
  | RequestLimitedEvent
  | SessionRecordedEvent
  | SessionForwardedEvent;

/** What callers hand to `audit.record()`. */
export type AuditEventInput = RequestReceivedInput | PlainEvent;

/** An event after redaction, before it joins the chain. */
export type AuditEvent = RequestReceivedEvent | PlainEvent;

export type AuditEventType = AuditEvent['type'];

export const AUDIT_EVENT_TYPES: readonly AuditEventType[] = [
  'request.received',
  'approval.requested',
  'approval.preview',
  'vote',
  'approval.approved',
  'approval.denied',
  'approval.expired',
  'approval.joined',
  'approval.coalesced',
  'approval.promoted',
  'requester.disconnected',
  'requester.back',
  'grant.issued',
  'grant.expired',
  'approval.completed',
  'dispatch',
  'dispatch.released',
  'approval.stale',
  'upstream.response',
  'grant.used',
  'request.limited',
  'session.recorded',
  'session.forwarded',
];

/** The fields every stored event carries. */
export interface ChainFields {
  /** ISO 8601 UTC, when `record()` was called. */
  readonly time: string;
  /** 1, 2, 3... across all writers, no gaps. */
  readonly seq: number;
  /** `hash` of the event before (64 zeros for seq 1). */
  readonly prevHash: string;
  /** sha256 hex over the canonical JSON of every other field, prevHash included. */
  readonly hash: string;
}

export type StoredEvent = AuditEvent & ChainFields;
