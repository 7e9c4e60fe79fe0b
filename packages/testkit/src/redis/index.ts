export { BULLMQ_PREFIX, LEDGER_ENV, prefixKeys, removePrefixKeys, scanKeys, testPrefix } from './prefix.js';
export type { RedisProcess, SentinelGroup } from './servers.js';
export { startRedisProcess, startSentinelGroup } from './servers.js';
export type { TestRedis, TestRedisOptions } from './test-redis.js';
export { DEFAULT_REDIS_URL, testRedis } from './test-redis.js';
