/**
 * The narrow interfaces the gateway's request handling depends on. The real packages
 * are wired to them in `startup/`; tests pass plain objects.
 */
import type { Approvals, OpenInput } from '@gatehouse/approvals';
import type { AuditPort } from '@gatehouse/audit';
import type { AgentConfig, KubernetesIdentity } from '@gatehouse/config';
import type { Clock } from '@gatehouse/lifecycle';
import type { Action, Decision, KubeRequest, PolicyContext } from '@gatehouse/policy';
import type { Logger } from 'pino';
import type { Authenticator } from './auth/index.js';
import type { LabelsPort } from './labels/index.js';
import type { GatewayLimits } from './limits/index.js';
import type { GatewayMetrics } from './metrics/index.js';
import type { SessionSink } from './session-tap/index.js';
import type { RequestTracer } from './tracing/index.js';
import type { ClusterUpstream } from './upstream/index.js';

export interface PolicyPort {
  parseAction(request: KubeRequest): Action;
  renderCommand(action: Action): string;
  decide(context: PolicyContext): Decision;
}

/** What the gateway hands to approvals.open: the approvals package's own input type. */
export type OpenApprovalInput = OpenInput;

/** The slice of the approvals store the gateway uses (tests pass the in-memory fake in testing/). */
export type ApprovalsPort = Pick<
  Approvals,
  | 'open'
  | 'waitForDecision'
  | 'claimDispatch'
  | 'completeDispatch'
  | 'claimGrant'
  | 'get'
  | 'markStale'
  | 'setPreview'
  | 'fingerprint'
  | 'leave'
>;

/** Records approved exec/attach sessions (@gatehouse/audit's asciicast recorder). */
export interface SessionRecorderPort {
  start(options: {
    approvalId: string;
    command: string;
  }): Promise<SessionSink & { close(problem?: string): Promise<unknown> }>;
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
  /** Namespace and object labels for selectors and conditions; absent when no rule reads them (then they are unknown). */
  readonly labels?: LabelsPort | undefined;
  readonly approvals: ApprovalsPort;
  /** Recording must not hold up a request: callers do not await it, the port reports its own failures. */
  readonly audit: AuditPort;
  /** Absent: sessions are not recorded. */
  readonly sessions?: SessionRecorderPort | undefined;
  readonly metrics: GatewayMetrics;
  /** Absent: telemetry is off, and requests carry a no-op span. */
  readonly tracer?: RequestTracer | undefined;
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
