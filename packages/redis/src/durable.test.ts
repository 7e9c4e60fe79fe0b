import { stopAllProcesses, waitUntil } from '@gatehouse/testkit/processes';
import { type RedisProcess, startRedisProcess } from '@gatehouse/testkit/redis';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis, createRedisClient } from './connect.js';
import { confirmDurable } from './durable.js';
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
    await redis.set('durable-test', 'claimed');
    await confirmDurable(redis);
    const onReplica = await client(replica.url);
    expect(await onReplica.get('durable-test')).toBe('claimed');
  });

  it('refuses with REDIS_NOT_DURABLE when more replicas are asked for than confirm', async () => {
    const redis = await client({ url: primary.url, minReplicasToAck: 2, ackTimeoutMs: 50 });
    await redis.set('durable-test', 'voted');
    const error = await confirmDurable(redis).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: RedisErrorCode.NotDurable,
      acked: 1,
      wanted: 2,
      message:
        'Redis could not confirm the write on 2 replica(s) within 50 ms (1 confirmed), so nothing was acted on; retry shortly (redis.minReplicasToAck and redis.ackTimeout set this)',
    });
  });

  it('refuses once the replica is gone, and never waits with minReplicasToAck: 0', async () => {
    const redis = await client({ url: primary.url, ackTimeoutMs: 50 });
    await confirmDurable(redis); // resolves the policy while the replica is there: 1
    await replica.crash();
    await redis.set('durable-test', 'dispatched');
    await expect(confirmDurable(redis)).rejects.toMatchObject({ code: RedisErrorCode.NotDurable, acked: 0 });
    const single = await client({ url: primary.url, minReplicasToAck: 0 });
    await single.set('durable-test', 'single node');
    await confirmDurable(single);
    await redis.del('durable-test');
  });
});

describe('confirmDurable on a single node', () => {
  afterAll(stopAllProcesses);

  it('does not wait: auto finds no replicas', async () => {
    const node = await startRedisProcess();
    const redis = await client(node.url);
    await redis.set('durable-test', 'alone');
    await confirmDurable(redis);
    expect(await redis.call('ROLE')).toEqual(['master', expect.any(Number), []]);
  });
});
