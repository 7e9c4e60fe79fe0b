import type { ApprovalRequest } from '@gatehouse/approvals';
import { describe, expect, it } from 'vitest';
import { alreadyUsedMessage, expiredMessage, staleMessage } from './messages.js';

const T = Date.parse('2026-12-02T10:00:00.000Z');

function approval(overrides: Partial<ApprovalRequest>): ApprovalRequest {
  return {
    id: 'apv-1',
    cluster: 'prod',
    agent: 'agent-1',
    owners: [],
    action: {
      kind: 'resource',
      verb: 'delete',
      apiGroup: '',
      apiVersion: 'v1',
      resource: 'pods',
      namespace: 'prod',
      name: 'web-0',
      dryRun: false,
      readOnly: false,
      scaleToZero: false,
    },
    command: 'kubectl delete pod web-0 -n prod',
    request: {
      method: 'DELETE',
      path: '/api/v1/namespaces/prod/pods/web-0',
      query: '',
      headers: {},
      bodySha256: '',
    },
    fingerprint: 'f'.repeat(64),
    rule: 'risky',
    reason: 'deletes need a human',
    group: 'sre',
    approvalsNeeded: 1,
    createdAt: T - 60_000,
    expiresAt: T,
    state: 'pending',
    votes: [],
    revision: 1,
    ...overrides,
  };
}

describe("kubectl's Status for a held request's outcome", () => {
  it('says a lapsed grant never ran, not that it was used', () => {
    const message = alreadyUsedMessage(approval({ state: 'lapsed', grantExpiresAt: T, lapsedAt: T }));
    expect(message).toContain('approved but never ran: the grant expired unused at 2026-12-02T10:00:00.000Z');
    expect(message).not.toContain('already used');
  });

  it('says sent only with the answer the cluster gave', () => {
    const claimed = approval({ state: 'dispatched', dispatch: { via: 'grant', holder: 'gw-2', at: T } });
    expect(alreadyUsedMessage(claimed)).toContain(
      "claimed for dispatch at 2026-12-02T10:00:00.000Z by the agent's retry",
    );
    expect(alreadyUsedMessage(claimed)).not.toContain('sent to the cluster');
    const answered = approval({
      state: 'completed',
      dispatch: { via: 'hold', holder: 'gw-2', at: T, status: 201 },
    });
    expect(alreadyUsedMessage(answered)).toContain(
      'sent to the cluster at 2026-12-02T10:00:00.000Z, answered 201',
    );
  });

  it('says stale and expired the way Slack and the audit do', () => {
    const stale = approval({
      state: 'stale',
      stale: { reason: 'pod web-0 was recreated; nothing was sent', at: T },
    });
    expect(staleMessage(stale)).toContain('approved but not sent: pod web-0 was recreated; nothing was sent');
    expect(expiredMessage(approval({ state: 'expired', decidedAt: T }))).toContain(
      'expired at 2026-12-02T10:00:00.000Z without a decision; nothing was sent to the cluster',
    );
  });
});
