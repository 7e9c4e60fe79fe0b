export { CONNECT_TIMEOUT_MS, connectRedis, createRedisClient, RECONNECT_MAX_DELAY_MS } from './connect.js';
export {
  describeCause,
  RedisError,
  RedisErrorCode,
  RedisLostError,
  RedisUnreachableError,
} from './errors.js';
export {
  createRedisHealth,
  type ErrorEmitter,
  type HealthLog,
  isConnectionError,
  type RedisHealth,
  type RedisHealthOptions,
} from './health.js';
export { redactRedisUrl } from './url.js';
