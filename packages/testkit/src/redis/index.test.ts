import { createConnection, createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { TestkitErrorCode } from '../errors.js';
import { DEFAULT_REDIS_URL, type TestRedis, testRedis } from './index.js';

describe('testRedis', () => {
  const opened: TestRedis[] = [];
  afterEach(async () => {
    for (const t of opened.splice(0)) await t.cleanup().catch(() => undefined);
  });

  it('gives each call its own prefix and deletes only that prefix on cleanup', async () => {
    const mine = await testRedis();
    const other = await testRedis();
    opened.push(other);
    expect(mine.prefix).not.toBe(other.prefix);
    for (let i = 0; i < 1200; i++) await mine.redis.set(mine.key('item', String(i)), 'x');
    await other.redis.set(other.key('kept'), 'y');
    expect(await mine.keys()).toHaveLength(1200);

    await mine.cleanup();
    expect(await other.redis.exists(mine.key('item', '0'))).toBe(0);
    expect(await other.redis.get(other.key('kept'))).toBe('y');
    expect(mine.redis.status).toBe('end');
  });

  it('closes extra connections on cleanup, and has waited until they ended', async () => {
    // Through a proxy that passes a close on a little late, as a busy machine does: cleanup used to
    // disconnect() and return at once, while a client only becomes 'end' on its socket's close event.
    const proxy = await slowToCloseProxy(new URL(DEFAULT_REDIS_URL));
    const t = await testRedis({ url: `redis://127.0.0.1:${proxy.port}` });
    const extra = [t.connect(), t.connect(), t.connect()];
    for (const client of extra) expect(await client.ping()).toBe('PONG');
    const blocked = extra[0]!.blpop(t.key('never'), 0).catch((error: Error) => error);
    await t.cleanup();
    expect(extra.map((client) => client.status)).toEqual(['end', 'end', 'end']);
    expect(await blocked).toBeInstanceOf(Error);
    proxy.close();
  });

  it("deletes BullMQ's keys of queues named after the prefix", async () => {
    const t = await testRedis();
    const watcher = await testRedis();
    opened.push(watcher);
    await t.redis.set(`bull:${t.prefix}-approvals:meta`, 'x');
    await t.redis.set(`bull:${t.prefix}-slack:1`, 'x');
    await t.cleanup();
    expect(await watcher.redis.exists(`bull:${t.prefix}-approvals:meta`, `bull:${t.prefix}-slack:1`)).toBe(0);
  });

  it('fails with a coded error naming the URL when Redis does not answer', async () => {
    const failure = testRedis({ url: 'redis://127.0.0.1:1' });
    await expect(failure).rejects.toMatchObject({
      code: TestkitErrorCode.RedisUnavailable,
      message: expect.stringContaining('redis://127.0.0.1:1'),
    });
  });
});

/** A TCP proxy to Redis that passes a client's close on 100 ms late. */
async function slowToCloseProxy(target: URL) {
  const server = createServer({ allowHalfOpen: true }, (client) => {
    const upstream = createConnection({ host: target.hostname, port: Number(target.port || 6379) });
    client.pipe(upstream, { end: false });
    upstream.pipe(client, { end: false });
    client.on('end', () =>
      setTimeout(() => {
        upstream.end();
        client.end();
      }, 100),
    );
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as { port: number }).port, close: () => server.close() };
}
