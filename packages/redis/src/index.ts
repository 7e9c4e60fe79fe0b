export {
  CONNECT_TIMEOUT_MS,
  connectRedis,
  createRedisClient,
  RECONNECT_MAX_DELAY_MS,
  reconnectDelay,
} from './connect.js';
export {
  confirmDurable,
  connectionEpoch,
  DEFAULT_ACK_TIMEOUT_MS,
  type DurabilityPolicy,
  setDurability,
} from './durable.js';
export {
  describeCause,
  RedisAuthError,
  RedisClusterRefusedError,
  RedisError,
  RedisErrorCode,
  RedisLostError,
  RedisNotDurableError,
  RedisSettingError,
  RedisTlsError,
  RedisUnknownMasterError,
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
export { describeRedis, type RedisTarget } from './target.js';
export { redactRedisUrl } from './url.js';
