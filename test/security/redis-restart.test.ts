import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { namespace } from '@gatehouse/testkit/kube-upstream';
import {
  type BackgroundKubectl,
  freePort,
  type ManagedProcess,
  startProcess,
  waitUntil,
} from '@gatehouse/testkit/processes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PEOPLE, type Stack, startStack } from '../stack/index.js';
import { approvalIdOf, gatewayRequest, isRealMutation, report, storedApproval } from './support.js';

/**
 * Redis dies (kill -9) and comes back from its append-only file while requests wait for votes.
 * A private redis-server, configured as docker-compose.yml runs it (AOF, fsync every second), so
 * the shared Redis other suites use is never touched.
 */

const PENDING = 3;

describe('security: a Redis restart with AOF while requests are pending', () => {
  let dir: string;
  let port: number;
  let redis: ManagedProcess;
  let stack: Stack;
  const startRedis = () =>
    startProcess({
      command: 'redis-server',
      args: ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', ''].concat([
        '--appendonly',
        'yes',
        '--appendfsync',
        'everysec',
        '--maxmemory-policy',
        'noeviction',
      ]),
      ready: { port, host: '127.0.0.1' },
      name: 'redis-server (private, AOF)',
    });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-redis-aof-'));
    port = await freePort();
    redis = await startRedis();
    stack = await startStack({ redisUrl: `redis://127.0.0.1:${port}` });
  });
  const stopped = false;
  afterAll(async () => {
    if (!stopped) await stack?.stop();
    await redis?.stop(1000);
    await rm(dir, { recursive: true, force: true });
  });

  it('pending requests survive and can still be approved; each runs once', async () => {
    const names = Array.from({ length: PENDING }, (_, i) => `aof-${i}`);
    for (const name of names) stack.upstream.store.put(namespace(name));
    const held: BackgroundKubectl[] = names.map((name) => stack.kubectl(['delete', 'namespace', name]));
    const messages = await stack.waitForMessages(PENDING);
    const ids = messages.map(approvalIdOf);
    // everysec: what was acknowledged more than a second ago is on disk.
    await new Promise((resolve) => setTimeout(resolve, 1500));

    process.kill(redis.pid, 'SIGKILL');
    await redis.exited;
    // With Redis gone, a new gated request is held or refused, never sent.
    stack.upstream.store.put(namespace('aof-while-down'));
    const whileDown = await gatewayRequest(stack, {
      method: 'DELETE',
      path: `/clusters/${stack.cluster}/api/v1/namespaces/aof-while-down`,
      holdMs: 1500,
    });
    expect(whileDown.status === 0 || whileDown.status >= 400).toBe(true);
    redis = await startRedis();
    // The test's own client gives up on a dead Redis quickly (testkit's retry strategy); reconnect it.
    if (stack.redis.redis.status === 'end') await stack.redis.redis.connect();
    await waitUntil(
      'the gateway to see Redis again',
      async () =>
        (await gatewayRequest(stack, { method: 'GET', path: '/readyz', token: undefined })).status === 200,
      30_000,
    );
    const survived = (await Promise.all(ids.map((id) => storedApproval(stack, id)))).filter(
      (approval) => approval.state === 'pending',
    ).length;

    for (const message of messages) {
      expect((await stack.click(PEOPLE.bob, message, 'Approve')).status).toBe(200);
    }
    const results = await Promise.all(held.map((kubectl) => kubectl.result()));
    const heldThrough = results.filter((result) => result.code === 0).length;
    // A kubectl the restart cut off retries: the approval is its grant.
    for (const [i, result] of results.entries()) {
      if (result.code !== 0) {
        expect((await stack.kubectl(['delete', 'namespace', names[i]!]).result()).code).toBe(0);
      }
    }
    const deleted = names.filter(
      (name) =>
        stack.upstream
          .received({ method: 'DELETE', path: `/api/v1/namespaces/${name}` })
          .filter(isRealMutation).length === 1,
    ).length;
    report(
      'redis kill -9 and AOF restart',
      survived,
      PENDING,
      'pending requests survived',
      `${deleted}/${PENDING} approved after the restart and sent once; ${heldThrough} kubectl held through it; ` +
        `a gated request while Redis was down: ${whileDown.status === 0 ? 'held' : whileDown.status}, not sent`,
    );
    expect(survived).toBe(PENDING);
    expect(
      stack.upstream
        .received({ method: 'DELETE', path: '/api/v1/namespaces/aof-while-down' })
        .filter(isRealMutation),
    ).toEqual([]);
    expect(deleted).toBe(PENDING);
    for (const name of names) {
      expect(
        stack.upstream
          .received({ method: 'DELETE', path: `/api/v1/namespaces/${name}` })
          .filter(isRealMutation),
      ).toHaveLength(1);
    }
  }, 120_000);
});
