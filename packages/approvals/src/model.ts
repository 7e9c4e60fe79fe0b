import type { KubernetesIdentity } from '@gatehouse/config';
import type { ApprovalState, Unanswered } from '@gatehouse/lifecycle';
import type { Action } from '@gatehouse/policy';

/** The states an approval request moves through (one type with the projection's, in @gatehouse/lifecycle). */
export type { ApprovalState } from '@gatehouse/lifecycle';

/** The request as it will be replayed upstream once approved. */
export interface HeldRequest {
  readonly method: string;
  /** Path after the cluster prefix, as received. */
  readonly path: string;
  /** Raw query string without `?`. */
  readonly query: string;
  /** Allow-listed headers only (content-type, accept, user-agent, kubectl-command...). Never Authorization. */
  readonly headers: Readonly<Record<string, string>>;
  /**
   * Body bytes, base64, when there is one. Stored until the request leaves pending/approved (then
   * deleted: bodies may hold Secrets); omitted from `listPending` items to keep listings small.
   */
  readonly bodyBase64?: string | undefined;
  /** SHA-256 hex of the body ('' body hashes too). */
  readonly bodySha256: string;
}

export interface Vote {
  readonly userId: string;
  readonly userName?: string | undefined;
  readonly decision: 'approve' | 'deny';
  readonly reason?: string | undefined;
  /** Epoch milliseconds. */
  readonly at: number;
}

export interface DispatchRecord {
  /** How the approved request reached the cluster: on the held connection, or by the agent's retry. */
  readonly via: 'hold' | 'grant';
  /** Which gateway replica claimed it. */
  readonly holder: string;
  readonly at: number;
  /** What the cluster answered; absent until it did, and for good when it never did (`unanswered`). */
  readonly status?: number | undefined;
  readonly durationMs?: number | undefined;
  /** Completed without an answer: nothing went out, or nothing came back. */
  readonly unanswered?: Unanswered | undefined;
}

/** What a server-side dry run (`dryRun=All`) of the held request answered. */
export interface DryRunResult {
  readonly outcome: 'would-succeed' | 'would-fail';
  /** The API server's Status message when it would fail. */
  readonly message?: string | undefined;
}

/**
 * The object an approval is about, as the preview read it: the dispatch sends these as
 * preconditions (and checks them first), so an approval never runs against an object nobody saw.
 */
export interface PinnedTarget {
  /** Singular, lower-case, for messages: `namespace`, `pod`, `deployment`. */
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string | undefined;
  readonly uid: string;
  readonly resourceVersion: string;
  /** A namespace delete: what it held when read; more of any at dispatch makes the approval stale. */
  readonly contents?: NamespaceContents | undefined;
}

export interface NamespaceContents {
  /** Deployments + statefulsets + daemonsets. */
  readonly workloads: number;
  readonly pods: number;
  readonly pvcs: number;
}

/** Why an approved request was not sent (state `stale`). */
export interface StaleRecord {
  /** Complete sentence for kubectl, Slack and the audit: `namespace x was recreated after it was approved (uid …); nothing was sent; re-run to ask again`. */
  readonly reason: string;
  readonly at: number;
}

/** One field a write would change: the live object against the server dry run's result. */
export interface FieldChange {
  /** `spec.template.spec.containers[name=app].image`: list items with a `name` are addressed by it. */
  readonly path: string;
  readonly op: 'add' | 'remove' | 'change';
  /** The value as JSON; absent where a value is never shown (a Secret's `data`: keys only). */
  readonly before?: string | undefined;
  readonly after?: string | undefined;
}

/**
 * What a create/update/patch/apply would change. `diff`: field by field, from the server dry run (exact
 * for every patch type). `body`: no dry run was possible (an aggregated API, a refused or timed-out
 * dry run), so the request body itself, as received (a Secret's: its keys only).
 */
export type ChangePreview =
  | { readonly kind: 'diff'; readonly changes: readonly FieldChange[] }
  | {
      readonly kind: 'body';
      /** Why there is no diff: `the cluster did not answer within 3s`, `an aggregated API (no dry run)`. */
      readonly reason: string;
      readonly contentType: string;
      /** The body as text (a Secret's: `keys: data.password, …`, never values). */
      readonly text: string;
    };

/**
 * The blast radius the gateway read from the cluster after opening the approval (counts, names,
 * images; for a write, the change it would make — never a Secret's values). Absent while it is
 * computed, or when disabled.
 */
export type ApprovalPreview =
  | {
      readonly status: 'ready';
      /** One line for humans: `Would delete: 3 deployments, 12 pods (11 running), …`; '' when only a dry run exists. */
      readonly summary: string;
      readonly dryRun?: DryRunResult | undefined;
      /** What a write would change, complete (renderers shorten it, and say so). */
      readonly change?: ChangePreview | undefined;
      /** The target as read (uid, resourceVersion), pinned for the dispatch; absent when there is none. */
      readonly pin?: PinnedTarget | undefined;
      /** Epoch milliseconds when it was read. */
      readonly at: number;
      readonly durationMs: number;
    }
  | {
      readonly status: 'unavailable';
      /** Why: timed out, the cluster refused, unreachable. */
      readonly reason: string;
      /** A write's body, shown since its change could not be previewed. */
      readonly change?: ChangePreview | undefined;
      readonly at: number;
      readonly durationMs: number;
    };

export interface ApprovalRequest {
  /** Short, URL-safe, unique id shown to humans (`/gatehouse show <id>`). */
  readonly id: string;
  readonly cluster: string;
  readonly agent: string;
  /** Slack user ids who own the agent; none of them may approve. */
  readonly owners: readonly string[];
  readonly action: Action;
  /** kubectl-style rendering for humans. */
  readonly command: string;
  readonly request: HeldRequest;
  /** Who the request runs as on the cluster; absent where the cluster runs agents as the gateway's own identity. */
  readonly runAs?: KubernetesIdentity | undefined;
  /**
   * Identity of "the same request": hash of agent, cluster, method, path, canonical query,
   * Content-Type, body hash and run-as identity (`fingerprintOf`).
   */
  readonly fingerprint: string;
  readonly rule: string;
  readonly reason: string;
  readonly group: string;
  readonly approvalsNeeded: number;
  /** The W3C `traceparent` of the gateway span that opened it (telemetry on): vote spans link to it. */
  readonly traceparent?: string | undefined;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly state: ApprovalState;
  readonly votes: readonly Vote[];
  readonly decidedAt?: number | undefined;
  /** Who denied, and why (state denied). */
  readonly deniedBy?: string | undefined;
  readonly denyReason?: string | undefined;
  /** Until when an approved, undispatched request may be claimed by the agent's retry. */
  readonly grantExpiresAt?: number | undefined;
  readonly dispatch?: DispatchRecord | undefined;
  /** Set in state `stale`: the target changed between approval and dispatch, so nothing was sent. */
  readonly stale?: StaleRecord | undefined;
  /** Held connections waiting on it right now (the opener's and identical joins'). */
  readonly holders?: number | undefined;
  /** When the last held connection went (epoch ms); absent while one is held. */
  readonly requesterGoneAt?: number | undefined;
  /** When the unused grant ran out (state lapsed). */
  readonly lapsedAt?: number | undefined;
  readonly slack?: { readonly channel: string; readonly ts: string } | undefined;
  /** The blast radius, once the gateway has read it (`setPreview`). */
  readonly preview?: ApprovalPreview | undefined;
  /** Incremented by every change (vote, transition, Slack message); lets consumers drop stale updates. */
  readonly revision: number;
}
