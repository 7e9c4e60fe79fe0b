import { randomBytes } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';

/**
 * Test key prefixes in the shared Redis: made here, removed here, and accounted for by the leak
 * guard (`leak-guard.ts`), which fails a run that leaves any key under a prefix it handed out.
 */

/** Where the leak guard wants each prefix recorded (a directory it made); unset outside a guarded run. */
export const LEDGER_ENV = 'GATEHOUSE_TEST_PREFIX_LEDGER';

/** BullMQ's default key prefix: a queue named `<prefix>-x` keeps its keys under `bull:<prefix>-x:…`. */
export const BULLMQ_PREFIX = 'bull';

const escapeGlob = (text: string): string => text.replace(/[*?[\]\\]/g, '\\$&');

/** The test file that asked for a prefix, from the call stack (for the guard's report). */
function callerTestFile(): string {
  const frame = new Error().stack?.split('\n').find((line) => /\.test\.ts\b/.test(line));
  return /(\/[^\s():]+\.test\.ts)/.exec(frame ?? '')?.[1] ?? 'unknown test file';
}

/**
 * A fresh `gh-test-<hex>` prefix for one test's keys, recorded (with the test file) for the leak
 * guard when the run has one.
 */
export function testPrefix(): string {
  const prefix = `gh-test-${randomBytes(6).toString('hex')}`;
  const ledger = process.env[LEDGER_ENV];
  if (ledger) appendFileSync(join(ledger, `${process.pid}.tsv`), `${prefix}\t${callerTestFile()}\n`);
  return prefix;
}

/** Every key matching a glob, by SCAN (never KEYS), sorted and unique. */
export async function scanKeys(redis: Redis, pattern: string): Promise<string[]> {
  const found = new Set<string>();
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    for (const key of batch) found.add(key);
  } while (cursor !== '0');
  return [...found].sort();
}

/** The keys a test with this prefix may have left: its own (`<prefix>…`) and BullMQ's (`bull:<prefix>…`). */
export async function prefixKeys(redis: Redis, prefix: string): Promise<string[]> {
  const [own, queues] = await Promise.all([
    scanKeys(redis, `${escapeGlob(prefix)}*`),
    scanKeys(redis, `${BULLMQ_PREFIX}:${escapeGlob(prefix)}*`),
  ]);
  return [...own, ...queues];
}

/**
 * Deletes every key under `prefix`, BullMQ's included (UNLINK, 500 at a time). Call it after
 * closing whatever wrote there: a queue still open can write its `meta` key again.
 */
export async function removePrefixKeys(redis: Redis, prefix: string): Promise<number> {
  const doomed = await prefixKeys(redis, prefix);
  for (let i = 0; i < doomed.length; i += 500) await redis.unlink(...doomed.slice(i, i + 500));
  return doomed.length;
}
