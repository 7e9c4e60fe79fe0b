import { stopAllProcesses, waitUntil } from '@gatehouse/testkit/processes';
import { type RedisProcess, startRedisProcess } from '@gatehouse/testkit/redis';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis, createRedisClient } from './connect.js';
import { confirmDurable, connectionEpoch } from './durable.js';
import { RedisErrorCode } from './errors.js';
import type { RedisTarget } from './target.js';

const clients: Redis[] = [];
async function client(target: RedisTarget): Promise<Redis> {
  const made = await connectRedis(target, createRedisClient(target));
  clients.push(made);
  return made;
}
afterEach(() => {
  for (const made of clients.splice(0)) made.disconnect();
});

describe('confirmDurable on a primary with a replica', () => {
  let primary: RedisProcess;
  let replica: RedisProcess;
  beforeAll(async () => {
    primary = await startRedisProcess();
    replica = await startRedisProcess(['--replicaof', '127.0.0.1', String(primary.port)]);
    const probe = await client(primary.url);
    await waitUntil('the replica to be in sync', async () =>
      /^slave0:.*state=online/m.test(await probe.info('replication')),
    );
  });
  afterAll(stopAllProcesses);

  it('returns once the replica holds the write (auto: 1 replica, found with ROLE)', async () => {
    const redis = await client(primary.url);
    const epoch = connectionEpoch(redis);
    await redis.set('durable-test', 'claimed');
    await confirmDurable(redis, epoch);
    const onReplica = await client(replica.url);
    expect(await onReplica.get('durable-test')).toBe('claimed');
  });

  it('refuses with REDIS_NOT_DURABLE when more replicas are asked for than confirm', async () => {
    const redis = await client({ url: primary.url, minReplicasToAck: 2, ackTimeoutMs: 50 });
    const epoch = connectionEpoch(redis);
    await redis.set('durable-test', 'voted');
    const error = await confirmDurable(redis, epoch).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: RedisErrorCode.NotDurable,
      acked: 1,
      wanted: 2,
      message:
        'Redis could not confirm the write on 2 replica(s) within 50 ms (1 confirmed), so nothing was acted on; retry shortly (redis.minReplicasToAck and redis.ackTimeout set this)',
    });
  });

  it('refuses when the connection changed between the write and WAIT (WAIT there confirms nothing)', async () => {
    const redis = await client(primary.url);
    const epoch = connectionEpoch(redis);
    await redis.set('durable-test', 'written on the old connection');
    const ready = new Promise((resolve) => redis.once('ready', resolve));
    redis.disconnect(true);
    await ready;
    // The new connection has no writes of its own: WAIT there answers 1 at once.
    expect(await redis.wait(1, 50)).toBe(1);
    await expect(confirmDurable(redis, epoch)).rejects.toMatchObject({ code: RedisErrorCode.NotDurable });
    await confirmDurable(redis, connectionEpoch(redis));
  });

  it('refuses once the replica is gone, and never waits with minReplicasToAck: 0', async () => {
    const redis = await client({ url: primary.url, ackTimeoutMs: 50 });
    await confirmDurable(redis, connectionEpoch(redis)); // resolves the policy while the replica is there: 1
    await replica.crash();
    const epoch = connectionEpoch(redis);
    await redis.set('durable-test', 'dispatched');
    await expect(confirmDurable(redis, epoch)).rejects.toMatchObject({
      code: RedisErrorCode.NotDurable,
      acked: 0,
    });
    const single = await client({ url: primary.url, minReplicasToAck: 0 });
    await single.set('durable-test', 'single node');
    await confirmDurable(single, connectionEpoch(single));
    await redis.del('durable-test');
  });
});

describe('confirmDurable on a single node', () => {
  afterAll(stopAllProcesses);

  it('does not wait: auto finds no replicas', async () => {
    const node = await startRedisProcess();
    const redis = await client(node.url);
    const epoch = connectionEpoch(redis);
    await redis.set('durable-test', 'alone');
    await confirmDurable(redis, epoch);
    expect(await redis.call('ROLE')).toEqual(['master', expect.any(Number), []]);
  });

  it('reads ROLE again after a reconnect: a replica added since makes auto wait for it', async () => {
    const node = await startRedisProcess();
    const redis = await client({ url: node.url, ackTimeoutMs: 50 });
    await confirmDurable(redis, connectionEpoch(redis)); // auto: 0, no replica yet
    const replica = await startRedisProcess(['--replicaof', '127.0.0.1', String(node.port)]);
    await waitUntil('the replica to be in sync', async () =>
      /^slave0:.*state=online/m.test(await redis.info('replication')),
    );
    // A stopped replica stays connected (ROLE lists it) but confirms nothing: WAIT on it times out.
    process.kill(replica.process.pid, 'SIGSTOP');
    try {
      const ready = new Promise((resolve) => redis.once('ready', resolve));
      redis.disconnect(true);
      await ready;
      const epoch = connectionEpoch(redis);
      await redis.set('durable-test', 'after the replica joined');
      await expect(confirmDurable(redis, epoch)).rejects.toMatchObject({
        code: RedisErrorCode.NotDurable,
        wanted: 1,
      });
    } finally {
      process.kill(replica.process.pid, 'SIGCONT');
    }
    const epoch = connectionEpoch(redis);
    await redis.set('durable-test', 'confirmed by the replica');
    await confirmDurable(redis, epoch);
  });
});
