import type { AuditLog } from '../log/index.js';

export const STORY = {
  approvalId: 'apv-7Q2M',
  agent: 'agent-oncall',
  cluster: 'payments-staging',
  command: 'kubectl delete deployment payments -n payments-staging',
  approver: { id: 'U0BOB', name: 'bob' },
  refused: { id: 'U0ALICE', name: 'alice' },
  /** The agent's bearer token: must never reach the log. */
  token: 'gh-agent-token-5f1c9e',
  body: '{"kind":"DeleteOptions","apiVersion":"v1","propagationPolicy":"Background"}',
};

/**
 * A realistic approved delete, step by step as the gateway and slackbot record it: one
 * refused vote (the agent's owner), one accepted, dispatch on the held connection.
 * The times come from the audit log's clock.
 */
export async function recordApprovedDelete(audit: AuditLog): Promise<void> {
  const { approvalId, agent, cluster, command, approver, refused } = STORY;
  await audit.record({
    type: 'request.received',
    approvalId,
    agent,
    cluster,
    command,
    action: {
      kind: 'resource',
      verb: 'delete',
      resource: 'deployments',
      namespace: cluster,
      name: 'payments',
    },
    decision: {
      effect: 'require',
      rule: 'prod-delete',
      reason: 'deletes in prod need SRE',
      group: 'sre-oncall',
      approvals: 1,
    },
    request: {
      method: 'DELETE',
      path: `/apis/apps/v1/namespaces/${cluster}/deployments/payments`,
      query: '',
      headers: {
        authorization: `Bearer ${STORY.token}`,
        'kubectl-command': 'kubectl delete',
        'kubectl-session': '0f3c2a1b-session',
        'user-agent': 'kubectl/v1.32.0',
      },
      body: STORY.body,
    },
  });
  await audit.record({
    type: 'approval.requested',
    approvalId,
    agent,
    cluster,
    command,
    rule: 'prod-delete',
    reason: 'deletes in prod need SRE',
    group: 'sre-oncall',
    approvalsNeeded: 1,
    expiresAt: '2026-11-26T01:10:00.000Z',
  });
  await audit.record({
    type: 'vote',
    approvalId,
    user: refused,
    group: 'sre-oncall',
    decision: 'approve',
    outcome: 'refused',
    reason: 'owns agent-oncall, which made the request',
  });
  await audit.record({
    type: 'vote',
    approvalId,
    user: approver,
    group: 'sre-oncall',
    decision: 'approve',
    outcome: 'accepted',
    tally: { approvals: 1, needed: 1 },
  });
  await audit.record({ type: 'approval.approved', approvalId, approvers: [approver] });
  await audit.record({ type: 'dispatch', approvalId, via: 'hold', holder: 'gateway-0' });
  await audit.record({ type: 'upstream.response', approvalId, cluster, status: 200, durationMs: 84 });
}
