/**
 * The narrow interfaces the gateway's request handling depends on. The real packages
 * are wired to them in `startup/`; tests pass plain objects.
 */
import type { ApprovalPreview, ApprovalRequest, FingerprintInput, OpenInput } from '@gatehouse/approvals';
import type { AuditEventInput } from '@gatehouse/audit';
import type { AgentConfig, KubernetesIdentity } from '@gatehouse/config';
import type { Action, Decision, KubeRequest, PolicyContext } from '@gatehouse/policy';
import type { Logger } from 'pino';
import type { Authenticator } from './auth/index.js';
import type { GatewayLimits } from './limits/index.js';
import type { GatewayMetrics } from './metrics/index.js';
import type { SessionSink } from './session-tap/index.js';
import type { ClusterUpstream } from './upstream/index.js';

export interface PolicyPort {
  parseAction(request: KubeRequest): Action;
  renderCommand(action: Action): string;
  decide(context: PolicyContext): Decision;
}

/** What the gateway hands to approvals.open: the approvals package's own input type. */
export type OpenApprovalInput = OpenInput;

export interface ApprovalsPort {
  /**
   * Creates an approval request, or joins the identical pending one (`joined`). For an exec, attach
   * or port-forward whose identical request was just denied or expired, answers with that approval
   * and `repeatedUntil` (kubectl's SPDY retry of a refused WebSocket upgrade, on any replica).
   */
  open(
    input: OpenApprovalInput,
  ): Promise<{ approval: ApprovalRequest; joined: boolean; repeatedUntil?: number | undefined }>;
  /** Resolves with the approval once it leaves `pending`, or still pending when the wait times out; rejects on abort. */
  waitForDecision(id: string, options: { timeoutMs: number; signal: AbortSignal }): Promise<ApprovalRequest>;
  /** approved → dispatched, at most once; false when someone else claimed it or it is no longer approved. */
  claimDispatch(id: string, holder: string, via: 'hold' | 'grant'): Promise<boolean>;
  completeDispatch(id: string, result: { status: number; durationMs: number }): Promise<void>;
  /** Claims the single-use grant for this agent and request, if an approved, undispatched one exists. */
  claimGrant(agent: string, fingerprint: string, holder: string): Promise<ApprovalRequest | undefined>;
  /**
   * dispatched -> stale, by the holder that claimed the dispatch: the target changed since it was
   * approved, so nothing was sent; `reason` is what kubectl, Slack and the audit say.
   */
  markStale(id: string, holder: string, reason: string): Promise<ApprovalRequest>;
  get(id: string): Promise<ApprovalRequest | undefined>;
  /** Stores the blast-radius preview on the approval (the slackbot re-renders its message). */
  setPreview(id: string, preview: ApprovalPreview): Promise<unknown>;
  /** `fingerprintOf` from @gatehouse/approvals: what makes two requests "the same request". */
  fingerprint(input: FingerprintInput): string;
}

/** Where the gateway records what happened (@gatehouse/audit); recording must not hold up a request. */
export interface AuditPort {
  record(event: AuditEventInput): void;
}

/** Records approved exec/attach sessions (@gatehouse/audit's asciicast recorder). */
export interface SessionRecorderPort {
  start(options: {
    approvalId: string;
    command: string;
  }): Promise<SessionSink & { close(problem?: string): Promise<unknown> }>;
}

export interface Clock {
  now(): number;
}

/** Everything a request needs, built once at start-up. */
export interface GatewayContext {
  readonly clusters: ReadonlyMap<string, ClusterUpstream>;
  readonly authenticate: Authenticator<AgentConfig>;
  /**
   * The Kubernetes identity an agent acts as on a configured cluster (`runAsOn` from
   * @gatehouse/config); `undefined` where the cluster is configured with `impersonate: false`.
   */
  readonly runAs: (agent: AgentConfig, cluster: string) => KubernetesIdentity | undefined;
  readonly policy: PolicyPort;
  readonly approvals: ApprovalsPort;
  readonly audit: AuditPort;
  /** Absent: sessions are not recorded. */
  readonly sessions?: SessionRecorderPort | undefined;
  readonly metrics: GatewayMetrics;
  readonly logger: Logger;
  readonly clock: Clock;
  /** This replica's id, recorded as the dispatch holder. */
  readonly replicaId: string;
  readonly holdTimeoutMs: number;
  /** How long an approval whose requester left stays usable by the retry (for messages). */
  readonly grantTtlMs: number;
  readonly maxBodyBytes: number;
  /** What one agent must not exhaust: held requests, body memory, previews per cluster (limits/). */
  readonly limits: GatewayLimits;
  /** Time bound on reading a new approval's blast radius; absent or 0: no previews. */
  readonly previewTimeoutMs?: number | undefined;
  /**
   * Count an approved namespace delete's workloads, pods and PVCs again right before it is sent;
   * more than when approved makes it stale. @defaultValue true
   */
  readonly recheckOnDispatch?: boolean | undefined;
}
