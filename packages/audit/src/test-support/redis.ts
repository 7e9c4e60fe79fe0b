import { removePrefixKeys, testPrefix } from '@gatehouse/testkit/redis';
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
  const prefix = testPrefix();
  return {
    redis,
    prefix,
    async cleanup() {
      await removePrefixKeys(redis, prefix);
      await redis.quit();
    },
  };
}
