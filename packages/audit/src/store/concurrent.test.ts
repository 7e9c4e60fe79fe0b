import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { auditKeys } from '../keys.js';
import { createAuditLog } from '../log/index.js';
import type { IsolatedRedis } from '../test-support/redis.js';
import { isolatedRedis, TEST_REDIS_URL } from '../test-support/redis.js';
import { readLog } from './log-reader.js';
import { verifyLog } from './verify-log.js';

const CHILD = fileURLToPath(new URL('../test-support/append-child.ts', import.meta.url));
const COUNT = 1500;

let ctx: IsolatedRedis;
beforeEach(async () => {
  ctx = await isolatedRedis();
});
afterEach(() => ctx.cleanup());

function startWriter(writer: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
    env: {
      ...process.env,
      REDIS_URL: TEST_REDIS_URL,
      PREFIX: ctx.prefix,
      WRITER: writer,
      COUNT: String(COUNT),
    },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let output = '';
  const ready = new Promise<void>((resolve) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('ready')) resolve();
    });
  });
  const exited = once(child, 'exit').then(([code]) => ({ code, output }));
  return { child, ready, exited };
}

it('keeps one gapless chain with two writer processes appending at once', async () => {
  const writers = [startWriter('gateway'), startWriter('slackbot')];
  await Promise.all(writers.map((writer) => writer.ready));
  for (const writer of writers) writer.child.stdin.end('go\n');
  const results = await Promise.all(writers.map((writer) => writer.exited));
  expect(results).toEqual([
    { code: 0, output: 'ready\ndone\n' },
    { code: 0, output: 'ready\ndone\n' },
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
  // The writers really raced: the chain switches between them more than once.
  const switches = events.filter((event, i) => i > 0 && event.agent !== events[i - 1]!.agent).length;
  expect(switches).toBeGreaterThan(1);
});

it('lets a writer that lost the race go next instead of starving behind a busy one', async () => {
  const busy = createAuditLog({ redis: TEST_REDIS_URL, prefix: ctx.prefix, maxBatch: 50 });
  const quiet = createAuditLog({ redis: TEST_REDIS_URL, prefix: ctx.prefix, maxWaitMs: 2_000 });
  await quiet.record({ type: 'grant.used', approvalId: 'quiet-0', agent: 'slackbot' });
  // The busy writer keeps a full queue, so with plain compare-and-set the other's
  // re-linked retry would always arrive one commit late.
  let quietSettled = false;
  const flood = (async () => {
    const inFlight = new Set<Promise<unknown>>();
    for (let n = 0; !quietSettled; n += 1) {
      const pending = busy
        .record({ type: 'grant.used', approvalId: `busy-${n}`, agent: 'gateway' })
        .finally(() => inFlight.delete(pending));
      inFlight.add(pending);
      if (inFlight.size >= 200) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
  })();
  await new Promise((resolve) => setTimeout(resolve, 20)); // let the flood get going
  // A big batch: re-linking it takes longer than the busy writer needs to commit again.
  const quietBatch = Array.from({ length: 500 }, (_, n) =>
    quiet.record({ type: 'grant.used', approvalId: `quiet-${n + 1}`, agent: 'slackbot' }),
  );
  const outcomes = await Promise.allSettled(quietBatch).finally(() => {
    quietSettled = true;
  });
  await flood;
  await Promise.all([busy.close(), quiet.close()]);
  expect(outcomes.filter((outcome) => outcome.status === 'rejected')).toEqual([]);
  expect(await verifyLog(ctx.redis, auditKeys(ctx.prefix))).toMatchObject({ ok: true });
});
