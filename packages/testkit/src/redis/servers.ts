import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { onTestFinished } from 'vitest';
import { freePort } from '../processes/ports.js';
import { type ManagedProcess, startProcess } from '../processes/spawn.js';
import { waitUntil } from '../processes/wait.js';

/** A redis-server (or sentinel) of the test's own on a free loopback port; stopped with its test. */
export interface RedisProcess {
  readonly port: number;
  readonly url: string;
  readonly process: ManagedProcess;
  /** kill -9: no shutdown, no last sync to replicas (a crash, not a stop). */
  crash(): Promise<void>;
}

/**
 * Starts `redis-server` with `args` (e.g. `--requirepass`, `--tls-port`) in a temp directory,
 * without persistence. Ready when the port accepts connections (`readyPort`, default the plain one).
 */
export async function startRedisProcess(
  args: readonly string[] = [],
  options: { port?: number; readyPort?: number; configLines?: readonly string[] } = {},
): Promise<RedisProcess> {
  // A given port: a crashed node coming back where its peers and sentinels knew it.
  const port = options.port ?? (await freePort());
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-redis-'));
  // Sentinel needs a config file it can rewrite; redis-server takes one as its first argument.
  const file = join(dir, 'redis.conf');
  if (options.configLines) await writeFile(file, `${options.configLines.join('\n')}\n`);
  const argv = [
    ...(options.configLines ? [file] : []),
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    'no',
    ...args,
  ];
  const process = await startProcess({
    command: 'redis-server',
    args: argv,
    name: `redis-server :${port}`,
    ready: { port: options.readyPort ?? port, host: '127.0.0.1' },
  });
  const cleanup = async () => {
    await process.stop(0);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    onTestFinished(cleanup);
  } catch {
    // Started from a hook: the process is stopped by stopAllProcesses; the directory is small.
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    process,
    async crash() {
      if (!process.running()) return;
      globalThis.process.kill(process.pid, 'SIGKILL');
      await process.exited;
    },
  };
}

/** A primary, one replica and three sentinels watching them: a failover group on loopback. */
export interface SentinelGroup {
  readonly name: string;
  readonly primary: RedisProcess;
  readonly replica: RedisProcess;
  readonly sentinels: readonly RedisProcess[];
  /** For `redis.sentinel.sentinels`. */
  readonly sentinelAddresses: readonly { host: string; port: number }[];
  /** Resolves with the port of the primary the sentinels name once it is not `port`. */
  promotedFrom(port: number, timeoutMs?: number): Promise<number>;
}

/**
 * Starts the group and waits until the replica is in sync and every sentinel sees the primary,
 * the replica and the other sentinels. `downAfterMs` is how long the primary may not answer before
 * the sentinels fail over (Sentinel's down-after-milliseconds).
 */
export async function startSentinelGroup(
  options: { name?: string; downAfterMs?: number } = {},
): Promise<SentinelGroup> {
  const name = options.name ?? 'gatehouse-test';
  const downAfterMs = options.downAfterMs ?? 1000;
  const primary = await startRedisProcess();
  const replica = await startRedisProcess(['--replicaof', '127.0.0.1', String(primary.port)]);
  await askUntil(primary.url, 'the replica in sync', async (redis) => {
    const info = await redis.info('replication');
    return /^slave0:.*state=online/m.test(info);
  });
  const sentinels: RedisProcess[] = [];
  for (let i = 0; i < 3; i++) {
    const configLines = [
      `sentinel monitor ${name} 127.0.0.1 ${primary.port} 2`,
      `sentinel down-after-milliseconds ${name} ${downAfterMs}`,
      `sentinel failover-timeout ${name} 10000`,
      `sentinel parallel-syncs ${name} 1`,
    ];
    sentinels.push(await startRedisProcess(['--sentinel'], { configLines }));
  }
  for (const sentinel of sentinels) {
    await askUntil(sentinel.url, 'the sentinel to see the replica and the others', async (redis) => {
      const [master] = (await redis.call('SENTINEL', 'MASTERS')) as string[][];
      const field = (key: string) => master?.[master.indexOf(key) + 1];
      return field('num-slaves') === '1' && field('num-other-sentinels') === '2';
    });
  }
  return {
    name,
    primary,
    replica,
    sentinels,
    sentinelAddresses: sentinels.map(({ port }) => ({ host: '127.0.0.1', port })),
    async promotedFrom(port, timeoutMs = 30_000) {
      let promoted = 0;
      await askUntil(
        sentinels[0]!.url,
        `the sentinels to promote a replica of :${port}`,
        async (redis) => {
          const [, at] = (await redis.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name)) as [string, string];
          promoted = Number(at);
          return promoted !== port;
        },
        timeoutMs,
      );
      return promoted;
    },
  };
}

/** Polls `check` on a fresh connection to `url` until it holds (waits for state, asserts nothing). */
async function askUntil(
  url: string,
  what: string,
  check: (redis: Redis) => Promise<boolean>,
  timeoutMs = 15_000,
): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await waitUntil(what, () => check(redis), timeoutMs);
  } finally {
    redis.disconnect();
  }
}
