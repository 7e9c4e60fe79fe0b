import type { ApprovalRequest, CompleteInput } from '@gatehouse/approvals';
import type { Decision } from '@gatehouse/policy';
import { kubeStatus } from '../kube-status/index.js';
import { planDispatch } from '../pin/index.js';
import { forwardApproved, heldRequestOf, type JudgedRequest } from '../pipeline/forward.js';
import { recordReceived } from '../pipeline/received.js';
import type { GatewayContext } from '../ports.js';
import { startPreview } from '../preview/index.js';
import { type ByteTap, forwardTap, sessionTap } from '../session-tap/index.js';
import { NOOP_SPAN } from '../tracing/index.js';
import {
  alreadyUsedMessage,
  deniedMessage,
  expiredMessage,
  staleMessage,
  stillPendingMessage,
} from './messages.js';

type RequireDecision = Extract<Decision, { effect: 'require' }>;

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
  const cluster = judged.route.cluster;
  const fingerprint = approvals.fingerprint({
    agent: judged.agent.id,
    cluster,
    action: judged.action,
    request: heldRequestOf(judged, { withBody: false }),
    runAs: judged.runAs,
  });

  const granted = await approvals
    .claimGrant(judged.agent.id, fingerprint, ctx.replicaId)
    .catch(unrecorded(judged, ctx));
  if (granted) {
    recordReceived(judged, ctx, { approvalId: granted.id });
    ctx.metrics.requests.inc({ cluster, decision: 'grant' });
    logger.info({ requestId: judged.id, approvalId: granted.id, agent: judged.agent.id }, 'grant used');
    await dispatch(judged, granted, ctx);
    return;
  }

  const approvalId = await openApproval(judged, decision, ctx);
  if (approvalId === undefined) return;

  const settled = await wait(judged, approvalId, ctx);
  const leave = () =>
    approvals
      .leave(approvalId)
      .catch((error: unknown) =>
        logger.error({ err: error, approvalId }, 'cannot record that the requester left'),
      );
  if (!settled || settled.state === 'pending') {
    // This connection no longer holds it (the client left, or the hold timed out); the last one
    // leaving records the requester as gone: once approved, the approval is a grant for the retry.
    await leave();
  }
  if (!settled) {
    // Nothing is sent without a live requester.
    logger.info({ requestId: judged.id, approvalId }, 'client left while held');
    return;
  }
  try {
    await answerSettled(judged, settled, ctx);
  } finally {
    // Decided: the connection is answered. Leaving ends its presence lease (a decided approval only
    // loses the count), so a gateway that holds nothing renews nothing.
    if (settled.state !== 'pending') await leave();
  }
}

/** Answers the held connection once its approval left pending (or the hold timed out). */
async function answerSettled(
  judged: JudgedRequest,
  settled: ApprovalRequest,
  ctx: GatewayContext,
): Promise<void> {
  const { approvals } = ctx;
  switch (settled.state) {
    case 'approved': {
      if (!(await approvals.claimDispatch(settled.id, ctx.replicaId, 'hold'))) {
        const current = await approvals.get(settled.id);
        judged.exchange.reject(kubeStatus('Conflict', alreadyUsedMessage(current ?? settled)));
        return;
      }
      // Read again after the claim: the preview (and its pin) may have landed after the decision.
      await dispatch(judged, (await approvals.get(settled.id)) ?? settled, ctx);
      return;
    }
    case 'denied':
    case 'expired':
      refuse(judged, settled);
      return;
    case 'pending':
      // Past its expiry the sweeper will mark it expired any moment; say what it is.
      judged.exchange.reject(
        kubeStatus(
          'Forbidden',
          ctx.clock.now() >= settled.expiresAt
            ? expiredMessage(settled)
            : stillPendingMessage(settled, ctx.grantTtlMs),
        ),
      );
      return;
    case 'dispatched':
    case 'completed':
      judged.exchange.reject(kubeStatus('Conflict', alreadyUsedMessage(settled)));
      return;
    case 'stale':
      judged.exchange.reject(kubeStatus('Conflict', staleMessage(settled)));
      return;
  }
}

/** Audits the request without an approval id when the store fails before one is known, and rethrows. */
const unrecorded =
  (judged: JudgedRequest, ctx: GatewayContext) =>
  (error: unknown): never => {
    recordReceived(judged, ctx);
    throw error;
  };

/**
 * Opens or joins the approval, records it, starts a new one's preview, and returns its id; undefined
 * when the request was answered here (a refused connect retry). The body travels to Redis and the
 * preview as base64, once, and the approval as stored is read again once decided: neither outlives
 * this function, so a held request keeps only `judged` and the id (the approval record with its
 * decoded action, request and strings was ~1 KB of each held request; scripts/bench/findings.md).
 */
async function openApproval(
  judged: JudgedRequest,
  decision: RequireDecision,
  ctx: GatewayContext,
): Promise<string | undefined> {
  const { logger } = ctx;
  const cluster = judged.route.cluster;
  const request = heldRequestOf(judged);
  const { approval, joined, repeatedUntil } = await ctx.approvals
    .open({
      cluster,
      agent: judged.agent.id,
      owners: judged.agent.owners,
      action: judged.action,
      command: judged.command,
      request,
      runAs: judged.runAs,
      rule: decision.rule,
      reason: decision.reason,
      group: decision.group,
      approvalsNeeded: decision.approvals,
      traceparent: judged.span?.traceparent,
    })
    .catch(unrecorded(judged, ctx));
  recordReceived(judged, ctx, { approvalId: approval.id });
  if (repeatedUntil !== undefined) {
    // kubectl retries a refused WebSocket exec over SPDY at once, maybe on another replica: same answer.
    logger.info(
      { requestId: judged.id, approvalId: approval.id },
      'retry of a refused request answered again',
    );
    refuse(judged, approval, repeatedUntil);
    return undefined;
  }
  if (!joined) {
    // Only the replica that opened it reads the blast radius, in the background: nothing here waits.
    const self = ctx.clusters.get(cluster) ?? judged.upstream;
    startPreview(
      {
        approvalId: approval.id,
        action: judged.action,
        request,
        upstream: self,
        dispatchUpstream: judged.upstream,
      },
      ctx,
    );
  }
  logger.info(
    { requestId: judged.id, approvalId: approval.id, joined, group: decision.group },
    'holding request for approval',
  );
  return approval.id;
}

/** Holds the connection until a decision, the hold timeout, or the client leaving (undefined). */
async function wait(
  judged: JudgedRequest,
  id: string,
  ctx: GatewayContext,
): Promise<ApprovalRequest | undefined> {
  const { signal } = judged.exchange;
  const started = ctx.clock.now();
  const span = (judged.span ?? NOOP_SPAN).wait(id);
  let outcome = 'error';
  ctx.metrics.held.inc();
  try {
    const settled = await ctx.approvals.waitForDecision(id, { timeoutMs: ctx.holdTimeoutMs, signal });
    outcome = signal.aborted ? 'client-gone' : settled.state;
    ctx.metrics.approvalWait.observe({ outcome }, (ctx.clock.now() - started) / 1000);
    return signal.aborted ? undefined : settled;
  } catch (error) {
    if (!signal.aborted) throw error;
    outcome = 'client-gone';
    ctx.metrics.approvalWait.observe({ outcome }, (ctx.clock.now() - started) / 1000);
    return undefined;
  } finally {
    ctx.metrics.held.dec();
    span.end(outcome);
  }
}

/** 403 for a denied or expired approval; `askAgainAt`: identical requests get this answer until then. */
function refuse(judged: JudgedRequest, approval: ApprovalRequest, askAgainAt?: number): void {
  if (approval.state === 'stale') {
    judged.exchange.reject(kubeStatus('Conflict', staleMessage(approval)));
    return;
  }
  judged.exchange.reject(
    kubeStatus(
      'Forbidden',
      approval.state === 'denied'
        ? deniedMessage(approval, askAgainAt)
        : expiredMessage(approval, askAgainAt),
    ),
  );
}

/**
 * An approved exec or attach is recorded; the recording ends when the connection does. An approved
 * port-forward is counted (connections, bytes each way), never recorded.
 */
async function recordSession(
  judged: JudgedRequest,
  approvalId: string,
  ctx: GatewayContext,
): Promise<ByteTap | undefined> {
  const { verb } = judged.action;
  if (judged.exchange.kind === 'upgrade' && verb === 'portforward')
    return countForward(judged, approvalId, ctx);
  if (!ctx.sessions || judged.exchange.kind !== 'upgrade' || (verb !== 'exec' && verb !== 'attach'))
    return undefined;
  try {
    const recorder = await ctx.sessions.start({ approvalId, command: judged.command });
    const tap = sessionTap(recorder);
    judged.exchange.signal.addEventListener('abort', () => {
      // What the tap could not decode is said in the audit, never a "recording" of nothing.
      recorder
        .close(tap.problem())
        .catch((error: unknown) => ctx.logger.error({ err: error, approvalId }, 'session recording failed'));
    });
    return tap;
  } catch (error) {
    // The approvers allowed the session; a full disk must not take it away. The audit still has the dispatch.
    ctx.logger.error(
      { err: error, approvalId },
      'cannot start the session recording; the session runs unrecorded',
    );
    return undefined;
  }
}

/** Counts what an approved port-forward carried; `session.forwarded` says it when the connection ends. */
function countForward(judged: JudgedRequest, approvalId: string, ctx: GatewayContext): ByteTap {
  const tap = forwardTap();
  const started = ctx.clock.now();
  judged.exchange.signal.addEventListener('abort', () => {
    const notCounted = tap.problem();
    void ctx.audit.record({
      type: 'session.forwarded',
      approvalId,
      command: judged.command,
      durationMs: ctx.clock.now() - started,
      ...tap.totals(),
      ...(notCounted === undefined ? {} : { notCounted }),
    });
  });
  return tap;
}

/**
 * Sends a claimed, approved request and records the result against its approval — unless its target
 * is no longer the one approved: then nothing is sent, the approval ends `stale`, and kubectl, Slack
 * and the audit say why (pin/).
 */
async function dispatch(
  claimed: JudgedRequest,
  approval: ApprovalRequest,
  ctx: GatewayContext,
): Promise<void> {
  const approvalId = approval.id;
  const plan = await planDispatch(claimed, approval, ctx);
  if (claimed.exchange.signal.aborted) {
    await ctx.approvals.completeDispatch(approvalId, {
      unanswered: { kind: 'not-sent', why: 'the requester disconnected before it was sent' },
      durationMs: 0,
    });
    return;
  }
  if (!plan.send) {
    await ctx.approvals.markStale(approvalId, ctx.replicaId, plan.reason);
    ctx.logger.info(
      { requestId: claimed.id, approvalId, reason: plan.reason },
      'approved request not sent: stale',
    );
    claimed.exchange.reject(kubeStatus('Conflict', plan.reason));
    return;
  }
  const judged = plan.judged;
  const tap = await recordSession(judged, approvalId, ctx);
  const result = await forwardApproved(judged, ctx, approvalId, tap);
  // Only the cluster's own status is recorded as its answer; a made-up one (503, 499) would read as one.
  const completion: CompleteInput =
    result.outcome === 'response'
      ? { status: result.status, durationMs: result.durationMs }
      : result.outcome === 'failed'
        ? {
            unanswered: { kind: 'no-answer', why: 'the cluster could not be reached or failed mid-request' },
            durationMs: result.durationMs,
          }
        : {
            unanswered: { kind: 'no-answer', why: 'the requester disconnected while it was waiting' },
            durationMs: 0,
          };
  await ctx.approvals.completeDispatch(approvalId, completion);
}
