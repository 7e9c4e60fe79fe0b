import type { HeldRequest } from '@gatehouse/approvals';
import type { ResponseSummary } from '@gatehouse/audit';
import type { AgentConfig, KubernetesIdentity } from '@gatehouse/config';
import type { Action, Decision } from '@gatehouse/policy';
import type { AgentIdentity } from '../auth/index.js';
import type { Exchange, ForwardResult } from '../exchange/types.js';
import { heldRequestHeaders } from '../headers/index.js';
import type { GatewayContext } from '../ports.js';
import type { ClusterRoute } from '../routing/index.js';
import type { ByteTap } from '../session-tap/index.js';
import type { RequestSpan } from '../tracing/index.js';
import type { ClusterUpstream } from '../upstream/index.js';
import { policyWarnings } from '../warnings/index.js';
import { recordReceived } from './received.js';

/** A request that passed authentication and routing, with what the policy made of it. */
export interface JudgedRequest {
  readonly id: string;
  readonly exchange: Exchange;
  readonly route: ClusterRoute;
  /** The cluster as this agent reaches it: its credentials already carry the agent's identity (impersonation/). */
  readonly upstream: ClusterUpstream;
  readonly agent: AgentConfig;
  /** How the agent was identified: a static token, or an identity provider's token for a subject. */
  readonly identity: AgentIdentity;
  /** Who the request runs as on the cluster; `undefined` where the cluster does not impersonate. */
  readonly runAs: KubernetesIdentity | undefined;
  readonly body: Buffer | undefined;
  readonly bodySha256: string;
  readonly action: Action;
  readonly command: string;
  readonly decision: Decision;
  /** The request's trace span (tracing/); absent where tests build a request by hand. */
  readonly span?: RequestSpan | undefined;
}

/** Sends a judged request upstream: the latency metric and a log line when the cluster is unreachable. */
async function send(judged: JudgedRequest, ctx: GatewayContext, tap?: ByteTap): Promise<ForwardResult> {
  const result = await judged.exchange.forward(
    judged.upstream,
    judged.route,
    judged.body,
    tap,
    policyWarnings(judged.decision),
  );
  if (result.outcome === 'aborted') return result;
  ctx.metrics.upstreamLatency.observe(
    { cluster: judged.route.cluster, kind: judged.exchange.kind },
    result.durationMs / 1000,
  );
  if (result.outcome === 'failed') {
    ctx.logger.warn(
      { requestId: judged.id, cluster: judged.route.cluster, err: result.error },
      'upstream unreachable',
    );
  }
  return result;
}

/** What the cluster answered, as the audit records it: an unreachable cluster gave no status. */
function answerOf(result: ForwardResult): ResponseSummary {
  if (result.outcome === 'aborted') return { aborted: true };
  if (result.outcome === 'failed') return { unreachable: true, durationMs: result.durationMs };
  return { status: result.status, durationMs: result.durationMs };
}

/**
 * Sends an allowed request and records it once, with the cluster's answer: one audit event per allowed
 * request (Kubernetes audit's ResponseStarted), since they are most of the traffic.
 */
export async function forwardAllowed(judged: JudgedRequest, ctx: GatewayContext): Promise<ForwardResult> {
  const result = await send(judged, ctx);
  recordReceived(judged, ctx, { response: answerOf(result) });
  return result;
}

/**
 * Sends an approved request and records the cluster's answer as its approval's `upstream.response`;
 * when the cluster gave none, the approval's completion (hold/) is the only record, saying so.
 */
export async function forwardApproved(
  judged: JudgedRequest,
  ctx: GatewayContext,
  approvalId: string,
  tap?: ByteTap,
): Promise<ForwardResult> {
  const result = await send(judged, ctx, tap);
  if (result.outcome !== 'response') return result;
  void ctx.audit.record({
    type: 'upstream.response',
    requestId: judged.id,
    approvalId,
    cluster: judged.route.cluster,
    status: result.status,
    durationMs: result.durationMs,
  });
  return result;
}

/**
 * The request as an approval stores it: allow-listed headers, the body for replay and its hash.
 * `withBody: false` leaves out the base64 copy of the body where only the hash matters (fingerprints).
 */
export function heldRequestOf(judged: JudgedRequest, options = { withBody: true }): HeldRequest {
  return {
    method: judged.exchange.method,
    path: judged.route.path,
    query: judged.route.query,
    headers: heldRequestHeaders(judged.exchange.headers),
    bodyBase64:
      options.withBody && judged.body && judged.body.length > 0 ? judged.body.toString('base64') : undefined,
    bodySha256: judged.bodySha256,
  };
}
