import { ManualClock } from '@gatehouse/lifecycle';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openInput } from '../test-support/index.js';
import { type RedisServer, startRedisServer } from '../test-support/redis-server.js';
import { type Approvals, createApprovals } from './index.js';

// A private redis-server (AOF, fsync always) that the test kills with -9: the shared one stays untouched.
let server: RedisServer;
let stores: Approvals[];
beforeEach(async () => {
  server = await startRedisServer();
  stores = [];
});
afterEach(async () => {
  await Promise.all(stores.map((store) => store.close()));
  await server.stop();
});

function store(clock: ManualClock): Approvals {
  const approvals = createApprovals({
    redis: server.url,
    prefix: 'gatehouse',
    clock,
    requestTtlMs: 30 * 60_000,
    grantTtlMs: 10 * 60_000,
    sweepIntervalMs: 0,
    // Pub/sub messages published while a subscriber reconnects are lost; the poll covers that.
    pollIntervalMs: 100,
    onError: () => {},
  });
  stores.push(approvals);
  return approvals;
}

describe('a Redis crash and restart (AOF)', () => {
  it('keeps pending requests approvable and wakes the waiting replica', async () => {
    const clock = new ManualClock();
    const gateway = store(clock);
    const slackbot = store(clock);
    const { approval } = await gateway.open(openInput());
    const waiting = gateway.waitForDecision(approval.id, { timeoutMs: 60_000 });

    await server.crashAndRestart();

    // The script cache is empty after a restart: the store must reload its scripts.
    const vote = await slackbot.vote(approval.id, { userId: 'U0BOB', decision: 'approve' });
    expect(vote.outcome).toBe('approved');
    expect((await waiting).state).toBe('approved');
    expect(await gateway.claimDispatch(approval.id, 'gw-1', 'hold')).toBe(true);
    expect(await gateway.claimDispatch(approval.id, 'gw-2', 'hold')).toBe(false);
    expect(await gateway.countPending()).toBe(0);
  });
});
