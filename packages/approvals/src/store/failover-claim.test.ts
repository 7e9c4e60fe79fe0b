import { RedisErrorCode } from '@gatehouse/redis';
import { stopAllProcesses, waitUntil } from '@gatehouse/testkit/processes';
import { type SentinelGroup, startRedisProcess, startSentinelGroup } from '@gatehouse/testkit/redis';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, harness, openInput } from '../test-support/index.js';

/**
 * The failover that matters most, made to happen at the worst moment instead of hoped for: the
 * primary dies after it took a dispatch claim and before any replica had it. Real redis-server and
 * redis-sentinel processes; the replica is stopped (SIGSTOP: connected, acknowledging nothing) so
 * the claim's WAIT is still waiting when the primary is killed.
 */
describe('the primary killed at claim time (primary, replica, three sentinels)', () => {
  let group: SentinelGroup;
  let h: Harness;
  const reported: Error[] = [];
  beforeAll(async () => {
    group = await startSentinelGroup({ downAfterMs: 1000 });
  });
  afterEach(async () => {
    process.kill(group.replica.process.pid, 'SIGCONT');
    await h.cleanup();
  });
  afterAll(stopAllProcesses);

  it('sends nothing on the lost claim; after promotion the approval is approved and claimed exactly once', async () => {
    const target = { url: '', sentinel: { sentinels: group.sentinelAddresses, name: group.name } };
    h = harness({ redis: { ...target, ackTimeoutMs: 5_000 }, onError: (error) => reported.push(error) });
    const { approval } = await h.approvals.open(openInput());
    expect((await h.approvals.vote(approval.id, { userId: 'U0BOB', decision: 'approve' })).outcome).toBe(
      'approved',
    );

    process.kill(group.replica.process.pid, 'SIGSTOP');
    const claim = h.approvals.claimDispatch(approval.id, 'gw-a', 'hold');
    // The claim is on the primary (its WAIT is still waiting for the stopped replica): kill it now.
    const primary = new Redis(group.primary.url);
    await waitUntil(
      'the claim on the primary',
      async () => (await primary.hget(`${h.prefix}:approval:${approval.id}`, 'state')) === 'dispatched',
    );
    primary.disconnect();
    await group.primary.crash();
    process.kill(group.replica.process.pid, 'SIGCONT');

    // Not confirmed: the caller is told, so the gateway sends nothing and answers 503.
    await expect(claim).rejects.toMatchObject({ code: RedisErrorCode.NotDurable });
    const promoted = await group.promotedFrom(group.primary.port);
    // The crashed node comes back empty where it was; the sentinels make it the new primary's
    // replica, so claims can be confirmed again.
    await startRedisProcess([], { port: group.primary.port });
    const newPrimary = new Redis(promoted);
    await waitUntil(
      'the promoted primary to have its replica in sync',
      async () => /^slave0:.*state=online/m.test(await newPrimary.info('replication')),
      30_000,
    );
    newPrimary.disconnect();

    // The promoted replica never saw the claim: approved, and one of two racing replicas claims it.
    const other = h.replica();
    await waitUntil(
      'the store on the promoted primary',
      async () => (await other.get(approval.id).catch(() => undefined))?.state === 'approved',
    );
    const claims = await Promise.allSettled([
      h.approvals.claimDispatch(approval.id, 'gw-a', 'hold'),
      other.claimDispatch(approval.id, 'gw-b', 'hold'),
    ]);
    expect(claims.filter((c) => c.status === 'fulfilled' && c.value)).toHaveLength(1);
    expect((await other.get(approval.id))?.state).toBe('dispatched');
  });
});
