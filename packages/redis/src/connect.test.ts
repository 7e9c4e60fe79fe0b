import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { connectRedis, createRedisClient } from './connect.js';
import { RedisErrorCode } from './errors.js';
import { redactRedisUrl } from './url.js';

/** A port that was free a moment ago: nothing listens there. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe('redactRedisUrl', () => {
  it('hides the password and keeps the rest', () => {
    expect(redactRedisUrl('redis://user:hunter2@redis:6379/0')).toBe('redis://user:***@redis:6379/0');
    expect(redactRedisUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
  });
});

describe('connectRedis', () => {
  it('connects to a live Redis, and pings a client that is already connected', async () => {
    const client = await connectRedis('redis://127.0.0.1:6379');
    expect(await client.ping()).toBe('PONG');
    expect(await connectRedis('redis://127.0.0.1:6379', client)).toBe(client);
    await client.quit();
  });

  it('fails at once with a coded error naming the URL without its password, and the cause', async () => {
    const port = await closedPort();
    const client = createRedisClient(`redis://:s3cret@127.0.0.1:${port}`);
    const error = await connectRedis(`redis://:s3cret@127.0.0.1:${port}`, client).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: RedisErrorCode.Unreachable });
    expect((error as Error).message).toContain(`cannot reach Redis at redis://:***@127.0.0.1:${port}`);
    expect((error as Error).message).toContain(`ECONNREFUSED 127.0.0.1:${port}`);
    expect((error as Error).message).not.toContain('s3cret');
    // Given up, not retrying in the background.
    expect(client.status).toBe('end');
  });

  it('gives up on a server that accepts the connection but never answers', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      const error = await connectRedis(`redis://127.0.0.1:${port}`, undefined, 300).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: RedisErrorCode.Unreachable });
      expect((error as Error).message).toContain('no answer to PING within 300 ms');
    } finally {
      silent.close();
    }
  });
});
