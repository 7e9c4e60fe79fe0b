import { Redis, type RedisOptions } from 'ioredis';
import { TestkitError, TestkitErrorCode } from '../errors.js';
import { removePrefixKeys, scanKeys, testPrefix } from './prefix.js';

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
  /**
   * Closes the extra clients (waiting until each has ended), then deletes every key under the prefix
   * and BullMQ's for queues named after it (`bull:<prefix>…`; BullMQ puts its own prefix first), with
   * SCAN + UNLINK, never KEYS, and closes the client. Call it after stopping whatever wrote there.
   */
  cleanup(): Promise<void>;
}

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

/**
 * Disconnects and resolves once the client has ended. `disconnect()` only starts closing the socket;
 * the status becomes `end` on the socket's close event, later (ioredis event_handler closeHandler).
 */
function ended(client: Redis): Promise<void> {
  if (client.status === 'end') return Promise.resolve();
  const done = new Promise<void>((resolve) => client.once('end', () => resolve()));
  client.disconnect();
  return done;
}

/** A Redis client and a random key prefix for one test; call `cleanup()` in afterEach. */
export async function testRedis(options: TestRedisOptions = {}): Promise<TestRedis> {
  const url = options.url ?? DEFAULT_REDIS_URL;
  const redis = await connected(url, options.redisOptions);
  const prefix = testPrefix();
  const extra: Redis[] = [];
  const keys = () => scanKeys(redis, `${prefix}*`);

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
      await Promise.all(extra.splice(0).map(ended));
      await removePrefixKeys(redis, prefix);
      await redis.quit();
    },
  };
}
