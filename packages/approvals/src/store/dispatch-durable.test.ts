import { auditKeys } from '@gatehouse/audit';
import { RedisErrorCode } from '@gatehouse/redis';
import { stopAllProcesses, waitUntil } from '@gatehouse/testkit/processes';
import { type RedisProcess, startRedisProcess } from '@gatehouse/testkit/redis';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, harness, openInput } from '../test-support/index.js';

// A claim whose WAIT fails sent nothing; it must not leave the approval stuck as dispatched either.
describe('a dispatch claim that no replica confirmed (real primary and replica)', () => {
  let primary: RedisProcess;
  let replica: RedisProcess;
  let h: Harness;
  beforeAll(async () => {
    primary = await startRedisProcess();
    replica = await startRedisProcess(['--replicaof', '127.0.0.1', String(primary.port)]);
    const probe = new Redis(primary.url);
    await waitUntil('the replica to be in sync', async () =>
      /^slave0:.*state=online/m.test(await probe.info('replication')),
    );
    probe.disconnect();
  });
  afterEach(async () => {
    process.kill(replica.process.pid, 'SIGCONT');
    await h.cleanup();
  });
  afterAll(stopAllProcesses);

  /** What the store reported in the background (its onError). */
  let reported: Error[] = [];
  async function approvedOn(): Promise<{ id: string; agent: string; fingerprint: string }> {
    reported = [];
    // No audit log: the transition events stay in the outbox, in order, for the test to read.
    h = harness({ redis: { url: primary.url, ackTimeoutMs: 200 }, onError: (error) => reported.push(error) });
    const { approval } = await h.approvals.open(openInput());
    expect((await h.approvals.vote(approval.id, { userId: 'U0BOB', decision: 'approve' })).outcome).toBe(
      'approved',
    );
    return { id: approval.id, agent: approval.agent, fingerprint: approval.fingerprint };
  }

  async function outboxTypes(): Promise<string[]> {
    const redis = new Redis(primary.url);
    const raw = await redis.lrange(auditKeys(h.prefix).outbox, 0, -1);
    redis.disconnect();
    return raw.map((event) => (JSON.parse(event) as { type: string }).type);
  }

  it('releases the claim (approved again), and the re-run claims it as a grant exactly once', async () => {
    const { id, agent, fingerprint } = await approvedOn();
    // A stopped replica stays connected but acknowledges nothing: WAIT times out.
    process.kill(replica.process.pid, 'SIGSTOP');
    await expect(h.approvals.claimDispatch(id, 'gw-a', 'hold')).rejects.toMatchObject({
      code: RedisErrorCode.NotDurable,
    });
    const released = await h.approvals.get(id);
    expect(released).toMatchObject({ state: 'approved' });
    expect(released?.dispatch).toBeUndefined();
    // The release waited for the replica as well, and says that it could not be confirmed either.
    expect(reported.map((error) => error.message)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^approval ${id}: the release of its unconfirmed dispatch claim is not confirmed either \\(`,
        ),
      ),
    ]);
    process.kill(replica.process.pid, 'SIGCONT');

    const other = h.replica();
    const claims = await Promise.all([
      h.approvals.claimGrant(agent, fingerprint, 'gw-a'),
      other.claimGrant(agent, fingerprint, 'gw-b'),
      other.claimDispatch(id, 'gw-b', 'hold'),
    ]);
    expect(claims.filter((claim) => claim !== undefined && claim !== false)).toHaveLength(1);
    expect((await h.approvals.get(id))?.state).toBe('dispatched');
    expect(
      (await outboxTypes()).filter((type) => type.startsWith('dispatch') || type === 'grant.used'),
    ).toEqual(['dispatch', 'dispatch.released', 'dispatch', 'grant.used']);
  });
});
