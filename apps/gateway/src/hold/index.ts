import type { ApprovalRequest } from '@gatehouse/approvals';
import type { Decision } from '@gatehouse/policy';
import { kubeStatus } from '../kube-status/index.js';
import { forward, heldRequestOf, type JudgedRequest } from '../pipeline/forward.js';
import type { GatewayContext } from '../ports.js';
import { alreadyUsedMessage, deniedMessage, expiredMessage, stillPendingMessage } from './messages.js';

type RequireDecision = Extract<Decision, { effect: 'require' }>;

/** Status recorded for a dispatch whose client went away before the upstream answered (nginx's convention). */
const CLIENT_CLOSED = 499;

/**
 * A request the policy gates. A grant from an earlier approval lets it through at once;
 * otherwise it opens (or joins) an approval and is held on its connection until the
 * approval is decided, the hold times out, or the client leaves.
 */
export async function holdForApproval(
  judged: JudgedRequest,
  decision: RequireDecision,
  ctx: GatewayContext,
): Promise<void> {
  const { approvals, logger } = ctx;
  const request = heldRequestOf(judged);
  const cluster = judged.route.cluster;
  const fingerprint = approvals.fingerprint({
    agent: judged.agent.id,
    cluster,
    action: judged.action,
    request,
  });

  const granted = await approvals.claimGrant(judged.agent.id, fingerprint, ctx.replicaId);
  if (granted) {
    ctx.metrics.requests.inc({ cluster, decision: 'grant' });
    logger.info({ requestId: judged.id, approvalId: granted.id, agent: judged.agent.id }, 'grant used');
    ctx.audit.record({ type: 'grant.used', approvalId: granted.id, agent: judged.agent.id });
    await dispatch(judged, granted.id, 'grant', ctx);
    return;
  }

  const { approval, joined } = await approvals.open({
    cluster,
    agent: judged.agent.id,
    owners: judged.agent.owners,
    action: judged.action,
    command: judged.command,
    request,
    rule: decision.rule,
    reason: decision.reason,
    group: decision.group,
    approvalsNeeded: decision.approvals,
  });
  if (!joined) {
    ctx.audit.record({
      type: 'approval.requested',
      approvalId: approval.id,
      agent: judged.agent.id,
      cluster,
      command: judged.command,
      rule: decision.rule,
      reason: decision.reason,
      group: decision.group,
      approvalsNeeded: decision.approvals,
      expiresAt: new Date(approval.expiresAt).toISOString(),
    });
  }
  logger.info(
    { requestId: judged.id, approvalId: approval.id, joined, group: decision.group },
    'holding request for approval',
  );

  const started = ctx.clock.now();
  ctx.metrics.held.inc();
  let settled: ApprovalRequest;
  try {
    settled = await approvals.waitForDecision(approval.id, {
      timeoutMs: ctx.holdTimeoutMs,
      signal: judged.exchange.signal,
    });
  } finally {
    ctx.metrics.held.dec();
  }
  const outcome = judged.exchange.signal.aborted ? 'client-gone' : settled.state;
  ctx.metrics.approvalWait.observe({ outcome }, (ctx.clock.now() - started) / 1000);

  if (judged.exchange.signal.aborted) {
    // Nothing is sent without a live requester; once approved the approval is a grant for the retry.
    logger.info(
      { requestId: judged.id, approvalId: approval.id, state: settled.state },
      'client left while held',
    );
    return;
  }
  switch (settled.state) {
    case 'approved': {
      if (!(await approvals.claimDispatch(settled.id, ctx.replicaId, 'hold'))) {
        const current = await approvals.get(settled.id);
        judged.exchange.reject(kubeStatus('Conflict', alreadyUsedMessage(current ?? settled)));
        return;
      }
      await dispatch(judged, settled.id, 'hold', ctx);
      return;
    }
    case 'denied':
      judged.exchange.reject(kubeStatus('Forbidden', deniedMessage(settled)));
      return;
    case 'expired':
      judged.exchange.reject(kubeStatus('Forbidden', expiredMessage(settled)));
      return;
    case 'pending':
      judged.exchange.reject(kubeStatus('Forbidden', stillPendingMessage(settled, ctx.grantTtlMs)));
      return;
    case 'dispatched':
    case 'completed':
      judged.exchange.reject(kubeStatus('Conflict', alreadyUsedMessage(settled)));
      return;
  }
}

/** Sends a claimed, approved request and records the result against its approval. */
async function dispatch(
  judged: JudgedRequest,
  approvalId: string,
  via: 'hold' | 'grant',
  ctx: GatewayContext,
): Promise<void> {
  ctx.audit.record({ type: 'dispatch', approvalId, via, holder: ctx.replicaId });
  const result = await forward(judged, ctx, approvalId);
  const completion =
    result.outcome === 'response'
      ? { status: result.status, durationMs: result.durationMs }
      : result.outcome === 'failed'
        ? { status: 503, durationMs: result.durationMs }
        : { status: CLIENT_CLOSED, durationMs: 0 };
  await ctx.approvals.completeDispatch(approvalId, completion);
}
