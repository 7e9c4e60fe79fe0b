import { afterEach, describe, expect, it } from 'vitest';
import { TestkitErrorCode } from '../errors.js';
import { type TestRedis, testRedis } from './index.js';

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

  it('closes extra connections on cleanup', async () => {
    const t = await testRedis();
    const blocking = t.connect();
    expect(await blocking.ping()).toBe('PONG');
    await t.cleanup();
    expect(['end', 'close']).toContain(blocking.status);
  });

  it('fails with a coded error naming the URL when Redis does not answer', async () => {
    const failure = testRedis({ url: 'redis://127.0.0.1:1' });
    await expect(failure).rejects.toMatchObject({
      code: TestkitErrorCode.RedisUnavailable,
      message: expect.stringContaining('redis://127.0.0.1:1'),
    });
  });
});
