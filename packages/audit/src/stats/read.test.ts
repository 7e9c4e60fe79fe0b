import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditKeys } from '../keys.js';
import { createAuditLog } from '../log/index.js';
import { type IsolatedRedis, isolatedRedis } from '../test-support/redis.js';
import { readPolicyStats } from './read.js';

let ctx: IsolatedRedis;
beforeEach(async () => {
  ctx = await isolatedRedis();
});
afterEach(() => ctx.cleanup());

const DAY = 24 * 3600_000;

describe('readPolicyStats', () => {
  it('reads the stream in Redis: approvals requested since the start, an unreadable entry counted, not fatal', async () => {
    let now = Date.now() - 8 * DAY;
    const audit = createAuditLog({ redis: ctx.redis, prefix: ctx.prefix, clock: () => now });
    const hold = async (approvalId: string, rule: string, decideAfterMs: number) => {
      await audit.record({
        type: 'approval.requested',
        approvalId,
        agent: 'agent-oncall',
        cluster: 'prod',
        command: 'kubectl delete ns payments',
        rule,
        reason: 'r',
        group: 'sre',
        approvalsNeeded: 1,
        expiresAt: new Date(now + 600_000).toISOString(),
      });
      now += decideAfterMs;
      await audit.record({
        type: 'approval.approved',
        approvalId,
        approvers: [{ id: 'U0BOB', name: 'bob' }],
      });
    };
    await hold('last-week', 'namespace-delete', 1_000);
    now = Date.now() - DAY;
    await hold('this-week', 'namespace-delete', 3_000);
    await ctx.redis.xadd(auditKeys(ctx.prefix).log, '*', 'e', '{not json');
    await hold('also-this-week', 'prod-delete', 40_000);
    await audit.close();

    const { stats, unreadable } = await readPolicyStats(
      ctx.redis,
      auditKeys(ctx.prefix),
      Date.now() - 7 * DAY,
    );
    expect(unreadable).toBe(1);
    expect(stats.rules.map((r) => [r.rule, r.held, r.approved, r.medianDecideMs])).toEqual([
      ['namespace-delete', 1, 1, 3_000],
      ['prod-delete', 1, 1, 40_000],
    ]);
    expect(stats.approvers).toEqual([expect.objectContaining({ approver: 'bob', approvals: 2 })]);
  });

  it('an empty log is no statistics', async () => {
    expect(await readPolicyStats(ctx.redis, auditKeys(ctx.prefix), 0)).toEqual({
      stats: { rules: [], approvers: [] },
      unreadable: 0,
    });
  });
});
