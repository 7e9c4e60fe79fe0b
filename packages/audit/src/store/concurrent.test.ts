import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { auditKeys } from '../keys.js';
import type { IsolatedRedis } from '../test-support/redis.js';
import { isolatedRedis, TEST_REDIS_URL } from '../test-support/redis.js';
import { APPEND_SCRIPT } from './append-script.js';
import { readLog } from './log-reader.js';
import { verifyLog } from './verify-log.js';

const CHILD = fileURLToPath(new URL('../test-support/append-child.ts', import.meta.url));
const COUNT = 600;
/** Events per writer per round: each round starts in both writers together. */
const ROUND = 60;
const ROUNDS = COUNT / ROUND;

let ctx: IsolatedRedis;
/** Writer processes still running, killed before the keys are removed (after a failure they would write on). */
const running = new Set<ChildProcess>();
beforeEach(async () => {
  ctx = await isolatedRedis();
});
afterEach(async () => {
  await Promise.all(
    [...running].map((child) => {
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      return exited;
    }),
  );
  await ctx.cleanup();
});

function startWriter(writer: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
    env: {
      ...process.env,
      REDIS_URL: TEST_REDIS_URL,
      PREFIX: ctx.prefix,
      WRITER: writer,
      COUNT: String(COUNT),
      ROUND: String(ROUND),
    },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let output = '';
  const checks = new Set<() => void>();
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    for (const check of checks) check();
  });
  const exited = once(child, 'exit').then(([code]) => ({ code, output }));
  /** Resolves once the writer printed `line` `times` times; fails if it exits first. */
  const printed = (line: string, times: number) =>
    Promise.race([
      new Promise<void>((resolve) => {
        const check = () => {
          if (output.split('\n').filter((l) => l === line).length < times) return;
          checks.delete(check);
          resolve();
        };
        checks.add(check);
        check();
      }),
      exited.then(({ code }) => {
        throw new Error(
          `writer ${writer} exited (${code}) before printing ${line} ${times} times: ${output}`,
        );
      }),
    ]);
  return { child, printed, exited };
}

it('keeps one gapless chain with two writer processes appending at once', async () => {
  const writers = [startWriter('gateway'), startWriter('slackbot')];
  await Promise.all(writers.map((writer) => writer.printed('ready', 1)));
  for (let round = 1; round <= ROUNDS; round += 1) {
    for (const writer of writers) writer.child.stdin.write('go\n');
    await Promise.all(writers.map((writer) => writer.printed('round', round)));
  }
  for (const writer of writers) writer.child.stdin.end();
  const results = await Promise.all(writers.map((writer) => writer.exited));
  const output = `ready\n${'round\n'.repeat(ROUNDS)}done\n`;
  expect(results).toEqual([
    { code: 0, output },
    { code: 0, output },
  ]);

  expect(await verifyLog(ctx.redis, auditKeys(ctx.prefix))).toMatchObject({ ok: true, count: 2 * COUNT });
  const events: { seq: number; agent: string; approvalId: string }[] = [];
  for await (const entry of readLog(ctx.redis, auditKeys(ctx.prefix))) events.push(JSON.parse(entry.line));
  expect(events.map((event) => event.seq)).toEqual(Array.from({ length: 2 * COUNT }, (_, i) => i + 1));
  for (const writer of ['gateway', 'slackbot']) {
    const own = events.filter((event) => event.agent === writer).map((event) => event.approvalId);
    // Each writer's events are all there, in the order it recorded them.
    expect(own).toEqual(Array.from({ length: COUNT }, (_, n) => `${writer}-${n}`));
  }
  // Both writers append in every round, and a round starts only after both finished the last, so
  // the chain switches writers at least once per round — whatever the scheduler did. (Hoping two
  // free-running writers overlap fails on a loaded machine, where one can finish before the other starts.)
  const switches = events.filter((event, i) => i > 0 && event.agent !== events[i - 1]!.agent).length;
  expect(switches).toBeGreaterThanOrEqual(ROUNDS);
});

/**
 * The fairness rule itself, step by step against the script: a writer that lost a compare-and-set
 * takes the turn, and until it appends nobody else may, even with a current head. The turn is
 * long here (a minute) since the order of steps is what is tested, not a clock; its bound for a
 * dead holder is checked as the TTL Redis keeps.
 */
it('lets a writer that lost the race go next instead of starving behind a busy one', async () => {
  const keys = auditKeys(ctx.prefix);
  const TURN_MS = 60_000;
  type Head = { seq: number; hash: string };
  const empty: Head = { seq: 0, hash: '' };
  const cas = async (writer: string, expected: Head, next: Head) => {
    const [reply, seq, hash] = (await ctx.redis.eval(
      APPEND_SCRIPT,
      3,
      keys.head,
      keys.log,
      keys.turn,
      writer,
      String(TURN_MS),
      String(expected.seq),
      expected.hash,
      '0',
      String(next.seq),
      next.hash,
      '0',
      '0',
      '',
      '',
    )) as [number, string?, string?];
    return { reply, seq, hash };
  };
  const busy1 = { seq: 1, hash: 'busy-1' };
  // The busy writer appends first; the quiet one, linked to the empty chain, loses and takes the turn.
  expect(await cas('busy', empty, busy1)).toEqual({ reply: 1, seq: undefined, hash: undefined });
  expect(await cas('quiet', empty, { seq: 1, hash: 'quiet-1' })).toEqual({
    reply: 0,
    seq: '1',
    hash: 'busy-1',
  });
  expect(await ctx.redis.get(keys.turn)).toBe('quiet');
  const ttl = await ctx.redis.pttl(keys.turn);
  expect(ttl).toBeGreaterThan(0);
  expect(ttl).toBeLessThanOrEqual(TURN_MS);
  // However often the busy writer asks with the current head, it is not its turn.
  for (let attempt = 0; attempt < 5; attempt += 1) {
    expect(await cas('busy', busy1, { seq: 2, hash: 'busy-2' })).toEqual({
      reply: 2,
      seq: '1',
      hash: 'busy-1',
    });
  }
  // The quiet writer, re-linked to the head it was told, appends and gives the turn up.
  expect(await cas('quiet', busy1, { seq: 2, hash: 'quiet-2' })).toEqual({
    reply: 1,
    seq: undefined,
    hash: undefined,
  });
  expect(await ctx.redis.exists(keys.turn)).toBe(0);
  // The busy writer is then told to re-link from the quiet writer's head, and goes on.
  expect(await cas('busy', busy1, { seq: 2, hash: 'busy-2' })).toEqual({
    reply: 0,
    seq: '2',
    hash: 'quiet-2',
  });
  expect(await cas('busy', { seq: 2, hash: 'quiet-2' }, { seq: 3, hash: 'busy-3' })).toMatchObject({
    reply: 1,
  });
  expect(await ctx.redis.hgetall(keys.head)).toEqual({ seq: '3', hash: 'busy-3' });
});

/**
 * A writer holding the turn whose outbox events another writer moved first has nothing left to
 * append: it gives the turn up at once, instead of every other writer waiting out its lifetime.
 */
it('releases the turn of a writer whose outbox entries another writer already moved', async () => {
  const keys = auditKeys(ctx.prefix);
  const drain = async (writer: string, expected: { seq: number; hash: string }, raw: string) =>
    (await ctx.redis.eval(
      APPEND_SCRIPT,
      4,
      keys.head,
      keys.log,
      keys.turn,
      keys.outbox,
      writer,
      '60000',
      String(expected.seq),
      expected.hash,
      '1',
      String(expected.seq + 1),
      `${writer}-${expected.seq + 1}`,
      '4',
      '1',
      raw,
      raw,
      raw,
      '0',
    )) as [number, string?, string?];
  await ctx.redis.rpush(keys.outbox, 'event-a');
  // Both read the outbox; the busy writer moves it, the quiet one loses the head and takes the turn.
  expect((await drain('busy', { seq: 0, hash: '' }, 'event-a'))[0]).toBe(1);
  expect((await drain('quiet', { seq: 0, hash: '' }, 'event-a'))[0]).toBe(0);
  expect(await ctx.redis.get(keys.turn)).toBe('quiet');
  // Re-linked, it finds its entries gone: told so, and the turn is free for the next writer.
  expect(await drain('quiet', { seq: 1, hash: 'busy-1' }, 'event-a')).toEqual([3]);
  expect(await ctx.redis.exists(keys.turn)).toBe(0);
});
