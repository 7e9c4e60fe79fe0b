import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';

export const TEST_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface IsolatedRedis {
  readonly redis: Redis;
  /** A fresh key prefix; every key under it is deleted by cleanup(). */
  readonly prefix: string;
  cleanup(): Promise<void>;
}

export async function isolatedRedis(): Promise<IsolatedRedis> {
  const redis = new Redis(TEST_REDIS_URL);
  const prefix = `test-audit-${randomUUID()}`;
  return {
    redis,
    prefix,
    async cleanup() {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
        if (keys.length > 0) await redis.del(...keys);
        cursor = next;
      } while (cursor !== '0');
      await redis.quit();
    },
  };
}
