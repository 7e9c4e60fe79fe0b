import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { GatewayErrorCode } from '../errors.js';
import { connectRedis } from './redis.js';

describe('connectRedis', () => {
  it('connects to a live Redis', async () => {
    const client = await connectRedis('redis://127.0.0.1:6379');
    expect(await client.ping()).toBe('PONG');
    client.disconnect();
  });

  it('fails fast with GATEWAY_REDIS_UNREACHABLE naming the URL without its password', async () => {
    // A port that was free a moment ago: nothing listens there.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const error = await connectRedis(`redis://:s3cret@127.0.0.1:${port}`).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: GatewayErrorCode.RedisUnreachable });
    expect((error as Error).message).toContain(`redis://:***@127.0.0.1:${port}`);
    expect((error as Error).message).not.toContain('s3cret');
  });
});
