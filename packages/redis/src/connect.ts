import { Redis, type RedisOptions } from 'ioredis';
import { DEFAULT_ACK_TIMEOUT_MS, setDurability } from './durable.js';
import { RedisClusterRefusedError } from './errors.js';
import { connectionOptions } from './options.js';
import { startupError } from './startup-error.js';
import { describeRedis, type RedisTarget, targetConfig } from './target.js';

/** Longest pause between reconnect attempts once a client has been up: a lost Redis is retried often. */
export const RECONNECT_MAX_DELAY_MS = 2_000;
/** How long start-up waits for Redis to accept the connection and answer PING. */
export const CONNECT_TIMEOUT_MS = 3_000;

/** The pause before reconnect attempt `attempt`, growing to RECONNECT_MAX_DELAY_MS. */
export function reconnectDelay(attempt: number): number {
  return Math.min(attempt * 200, RECONNECT_MAX_DELAY_MS);
}

/**
 * An unconnected client (connect it with `connectRedis`): the one way Gatehouse makes a Redis
 * connection (both apps, the approvals store, the audit log, BullMQ), so each follows the same
 * `redis` section — URL or Sentinel, ACL user, password from a file or the environment, TLS — and
 * carries its durability policy (`confirmDurable`). Its first connection fails fast instead of
 * retrying for ever, so a service that cannot reach Redis says so and exits; once it has been up, it
 * reconnects with a delay that grows to RECONNECT_MAX_DELAY_MS (asking the sentinels again for the
 * primary, so it follows a failover), and a RedisHealth reports the outage.
 * BullMQ workers need `{ maxRetriesPerRequest: null }` (BullMQ's own check, worker.ts).
 */
export function createRedisClient(
  target: RedisTarget,
  options: RedisOptions = {},
  env: NodeJS.ProcessEnv = process.env,
): Redis {
  const config = targetConfig(target);
  const { url, options: connection } = connectionOptions(config, env);
  let up = false;
  const retry = (attempt: number) => (up ? reconnectDelay(attempt) : null);
  const settings: RedisOptions = {
    lazyConnect: true,
    connectTimeout: CONNECT_TIMEOUT_MS,
    retryStrategy: retry,
    sentinelRetryStrategy: retry,
    // A primary demoted by a failover answers writes with READONLY: reconnect (to the new primary,
    // via the sentinels) and resend. The write was refused, so resending cannot apply it twice.
    reconnectOnError: (error) => (error.message.startsWith('READONLY') ? 2 : false),
    ...connection,
    ...options,
  };
  const client = url === undefined ? new Redis(settings) : new Redis(url, settings);
  setDurability(client, {
    minReplicasToAck: config.minReplicasToAck ?? 'auto',
    ackTimeoutMs: config.ackTimeoutMs ?? DEFAULT_ACK_TIMEOUT_MS,
  });
  client.once('ready', () => {
    up = true;
  });
  // Without a listener ioredis prints "[ioredis] Unhandled error event" and a stack for every failed
  // attempt. Failures are reported instead by connectRedis (start-up) and a RedisHealth (later).
  client.on('error', () => undefined);
  return client;
}

/**
 * Connects (unless already connected), pings once and refuses a cluster-mode Redis, or throws a
 * coded error naming the target (without its password), the cause and the setting to fix:
 * RedisUnreachableError, RedisUnknownMasterError, RedisTlsError, RedisAuthError,
 * RedisClusterRefusedError.
 */
export async function connectRedis(
  target: RedisTarget,
  client: Redis = createRedisClient(target),
  timeoutMs = CONNECT_TIMEOUT_MS,
): Promise<Redis> {
  const where = describeRedis(target);
  // The rejection of connect() says only "Connection is closed"; the error events say why.
  const seen: Error[] = [];
  const remember = (error: Error) => seen.push(error);
  client.on('error', remember);
  client.on('sentinelError', remember);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer to PING within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    if (client.status === 'wait') await Promise.race([client.connect(), timeout]);
    await Promise.race([client.ping(), timeout]);
  } catch (error) {
    client.disconnect();
    throw startupError(targetConfig(target), where, [...seen, error as Error]);
  } finally {
    clearTimeout(timer);
    client.off('error', remember);
    client.off('sentinelError', remember);
  }
  const info = await client.info('cluster');
  if (/^cluster_enabled:1/m.test(info)) {
    client.disconnect();
    throw new RedisClusterRefusedError(where);
  }
  return client;
}
