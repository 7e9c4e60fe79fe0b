import type { ResponseSummary } from '@gatehouse/audit';
import { DEFAULT_RULE } from '@gatehouse/policy';
import type { GatewayContext } from '../ports.js';
import type { JudgedRequest } from './forward.js';

/**
 * Records `request.received`. A gated request records it only once its approval is known (the
 * grant it claims, or the approval it opens, joins or is refused by), with that approval's id, so
 * `gatehouse-audit show <approval>` tells the story from each request that asked. An allowed request
 * records it once the cluster answered, with the `response` — unless its allow rule's `auditLevel` is
 * None: then it is only counted. (At Metadata the audit log itself stores less; see @gatehouse/audit.)
 */
export function recordReceived(
  judged: JudgedRequest,
  ctx: GatewayContext,
  about: { approvalId?: string; response?: ResponseSummary } = {},
): void {
  const { decision } = judged;
  if (decision.effect === 'allow' && decision.auditLevel === 'None') {
    // The allow rule keeps it out of the chain; the count keeps it from vanishing unnoticed.
    ctx.metrics.auditUnrecorded.inc({ rule: decision.rule ?? DEFAULT_RULE });
    return;
  }
  void ctx.audit.record({
    type: 'request.received',
    requestId: judged.id,
    ...(about.approvalId !== undefined && { approvalId: about.approvalId }),
    ...(about.response !== undefined && { response: about.response }),
    agent: judged.agent.id,
    identity: judged.identity,
    cluster: judged.route.cluster,
    action: judged.action,
    command: judged.command,
    decision: judged.decision,
    runAs: judged.runAs,
    request: {
      method: judged.exchange.method,
      path: judged.route.path,
      query: judged.route.query,
      remoteAddress: judged.exchange.remoteAddress,
      headers: judged.exchange.headers,
      body: judged.body,
    },
  });
}
