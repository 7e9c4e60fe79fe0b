import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { REDIS_URL } from '../test-support/index.js';
import { ScriptRunner } from './run.js';

const redis = new Redis(REDIS_URL);
afterAll(async () => {
  await redis.quit();
});

describe('ScriptRunner', () => {
  it('loads a script Redis has never seen (as after a restart or SCRIPT FLUSH), then uses EVALSHA', async () => {
    // A unique script body: its sha cannot be cached in Redis yet, so the first EVALSHA fails.
    const marker = randomBytes(8).toString('hex');
    const script = { name: 'echo', numberOfKeys: 1, lua: `return {KEYS[1], ARGV[1], '${marker}'}` };
    const runner = new ScriptRunner(redis);
    expect(await runner.run(script, ['k'], ['a'])).toEqual(['k', 'a', marker]);
    expect(await runner.run(script, ['k'], ['b'])).toEqual(['k', 'b', marker]);
  });

  it('refuses a call with the wrong number of keys (the classic key-order bug)', async () => {
    const runner = new ScriptRunner(redis);
    const script = { name: 'two', numberOfKeys: 2, lua: 'return 1' };
    await expect(runner.run(script, ['only-one'], [])).rejects.toThrow('takes 2 keys, got 1');
  });

  it('passes Lua errors through', async () => {
    const runner = new ScriptRunner(redis);
    const script = { name: 'boom', numberOfKeys: 0, lua: "return redis.error_reply('BOOM here')" };
    await expect(runner.run(script, [], [])).rejects.toThrow('BOOM here');
  });
});
