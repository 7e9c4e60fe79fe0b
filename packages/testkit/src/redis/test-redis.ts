import { randomBytes } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import { TestkitError, TestkitErrorCode } from '../errors.js';

export const DEFAULT_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface TestRedisOptions {
  /** @defaultValue REDIS_URL, else redis://127.0.0.1:6379 */
  url?: string;
  /** Extra ioredis options (BullMQ wants `maxRetriesPerRequest: null`). */
  redisOptions?: RedisOptions;
}

export interface TestRedis {
  readonly url: string;
  /** Connected client. */
  readonly redis: Redis;
  /** Random, unique to this call (`gh-test-<hex>`); use it as the key prefix of the code under test. */
  readonly prefix: string;
  /** `key('a', 'b')` → `<prefix>:a:b`. */
  key(...parts: string[]): string;
  /** Every key under the prefix (SCAN), sorted. */
  keys(): Promise<string[]>;
  /** Another client to the same Redis, closed by cleanup (blocking commands, BullMQ workers). */
  connect(options?: RedisOptions): Redis;
  /** Deletes every key under the prefix (SCAN + UNLINK, never KEYS) and closes the clients. */
  cleanup(): Promise<void>;
}

const escapeGlob = (text: string): string => text.replace(/[*?[\]\\]/g, '\\$&');

/** Fails fast with a coded error that says how to get Redis, instead of a test hanging on retries. */
async function connected(url: string, options: RedisOptions | undefined): Promise<Redis> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 2000,
    retryStrategy: (attempt) => (attempt > 3 ? null : 100),
    ...options,
  });
  // ioredis reports connection failures as events as well as rejections; the rejection is what counts.
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
    return redis;
  } catch (error) {
    redis.disconnect();
    throw new TestkitError(
      TestkitErrorCode.RedisUnavailable,
      `Redis does not answer at ${url} (${(error as Error).message}); start it (redis-server --daemonize yes) or set REDIS_URL`,
    );
  }
}

/** A Redis client and a random key prefix for one test; call `cleanup()` in afterEach. */
export async function testRedis(options: TestRedisOptions = {}): Promise<TestRedis> {
  const url = options.url ?? DEFAULT_REDIS_URL;
  const redis = await connected(url, options.redisOptions);
  const prefix = `gh-test-${randomBytes(6).toString('hex')}`;
  const extra: Redis[] = [];

  const keys = async (): Promise<string[]> => {
    const found: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', `${escapeGlob(prefix)}*`, 'COUNT', 500);
      cursor = next;
      found.push(...batch);
    } while (cursor !== '0');
    return [...new Set(found)].sort();
  };

  return {
    url,
    redis,
    prefix,
    key: (...parts) => [prefix, ...parts].join(':'),
    keys,
    connect(connectOptions) {
      const client = new Redis(url, { ...options.redisOptions, ...connectOptions });
      extra.push(client);
      return client;
    },
    async cleanup() {
      for (const client of extra) client.disconnect();
      const doomed = await keys();
      for (let i = 0; i < doomed.length; i += 500) await redis.unlink(...doomed.slice(i, i + 500));
      await redis.quit();
    },
  };
}
