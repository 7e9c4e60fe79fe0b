import { Redis, type RedisOptions } from 'ioredis';
import { RedisUnreachableError } from './errors.js';
import { redactRedisUrl } from './url.js';

/** Longest pause between reconnect attempts once a client has been up: a lost Redis is retried often. */
export const RECONNECT_MAX_DELAY_MS = 2_000;
/** How long start-up waits for Redis to accept the connection and answer PING. */
export const CONNECT_TIMEOUT_MS = 3_000;

/**
 * An unconnected client (connect it with `connectRedis`). Its first connection fails fast instead of
 * retrying for ever, so a service that cannot reach Redis says so and exits; once it has been up, it
 * reconnects with a delay that grows to RECONNECT_MAX_DELAY_MS, and a RedisHealth reports the outage.
 */
export function createRedisClient(url: string, options: RedisOptions = {}): Redis {
  let up = false;
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: CONNECT_TIMEOUT_MS,
    retryStrategy: (attempt) => (up ? Math.min(attempt * 200, RECONNECT_MAX_DELAY_MS) : null),
    ...options,
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
 * Connects (unless already connected) and pings once, or throws RedisUnreachableError naming the URL
 * (without its password) and the cause, e.g. `connect ECONNREFUSED 127.0.0.1:6379`.
 */
export async function connectRedis(
  url: string,
  client: Redis = createRedisClient(url),
  timeoutMs = CONNECT_TIMEOUT_MS,
): Promise<Redis> {
  // The rejection of connect() says only "Connection is closed"; the error event says why.
  let cause: unknown;
  const remember = (error: unknown) => {
    cause ??= error;
  };
  client.on('error', remember);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer to PING within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    if (client.status === 'wait') await Promise.race([client.connect(), timeout]);
    await Promise.race([client.ping(), timeout]);
    return client;
  } catch (error) {
    client.disconnect();
    throw new RedisUnreachableError(redactRedisUrl(url), cause ?? error);
  } finally {
    clearTimeout(timer);
    client.off('error', remember);
  }
}
