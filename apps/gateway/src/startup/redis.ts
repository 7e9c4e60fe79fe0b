import { Redis } from 'ioredis';
import { GatewayError, GatewayErrorCode } from '../errors.js';

/** The URL with any password replaced, fit for logs and error messages. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable redis url)';
  }
}

/**
 * Connects and pings once, failing fast with a coded error instead of retrying forever:
 * a gateway that cannot reach Redis cannot hold or dispatch anything.
 */
export async function connectRedis(url: string, timeoutMs = 3_000): Promise<Redis> {
  let connected = false;
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 1,
    // Only the first connection fails fast; once up, reconnect like any long-lived client.
    retryStrategy: (times) => (connected ? Math.min(times * 200, 2_000) : null),
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
    connected = true;
    return client;
  } catch (error) {
    client.disconnect();
    throw new GatewayError(
      GatewayErrorCode.RedisUnreachable,
      `cannot reach Redis at ${redactRedisUrl(url)}: ${(error as Error).message}; start Redis or fix redis.url in gatehouse.yaml`,
      { cause: error },
    );
  }
}
