import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { LEDGER_ENV, scanKeys } from './prefix.js';
import { DEFAULT_REDIS_URL } from './test-redis.js';

/**
 * A vitest globalSetup: every `testPrefix()` of the run is recorded in a ledger directory (the
 * forked test workers inherit its path from the environment set here), and at the end the shared
 * Redis is searched once for keys under any of them. A leftover key fails the run, named with the
 * test file that made its prefix, and is then removed: a suite that does not remove what it created
 * (BullMQ's keys included) is caught the run it starts leaking, not after 394 keys piled up.
 */
export function setup(): () => Promise<void> {
  const ledger = mkdtempSync(join(tmpdir(), 'gatehouse-prefixes-'));
  process.env[LEDGER_ENV] = ledger;
  return async () => {
    try {
      const leaks = await leftovers(ledger);
      if (leaks.length > 0) {
        // vitest reports an error thrown here but exits 0 (v4): the exit code is set by hand.
        process.exitCode = 1;
        throw new Error(
          `tests left ${leaks.reduce((n, leak) => n + leak.keys.length, 0)} key(s) in Redis at ${DEFAULT_REDIS_URL}:\n${leaks
            .map(
              (leak) =>
                `  ${leak.file} (prefix ${leak.prefix}): ${leak.keys.slice(0, 5).join(', ')}${leak.keys.length > 5 ? ', …' : ''}`,
            )
            .join('\n')}\nremove them in the suite's cleanup (testkit removePrefixKeys removes BullMQ's too)`,
        );
      }
    } finally {
      rmSync(ledger, { recursive: true, force: true });
    }
  };
}

interface Leak {
  readonly prefix: string;
  readonly file: string;
  readonly keys: readonly string[];
}

/** The recorded prefixes that still had keys (now removed): one SCAN of the test keyspace, however many prefixes. */
async function leftovers(ledger: string): Promise<Leak[]> {
  const files = new Map<string, string>();
  for (const name of readdirSync(ledger)) {
    for (const line of readFileSync(join(ledger, name), 'utf8').split('\n')) {
      const [prefix, file] = line.split('\t');
      if (prefix && file) files.set(prefix, file);
    }
  }
  if (files.size === 0) return [];
  const redis = new Redis(DEFAULT_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const byPrefix = new Map<string, string[]>();
    for (const key of await scanKeys(redis, '*gh-test-*')) {
      const prefix = /gh-test-[0-9a-f]{12}/.exec(key)?.[0];
      if (prefix && files.has(prefix)) byPrefix.set(prefix, [...(byPrefix.get(prefix) ?? []), key]);
    }
    const leaked = [...byPrefix.values()].flat();
    for (let i = 0; i < leaked.length; i += 500) await redis.unlink(...leaked.slice(i, i + 500));
    return [...byPrefix].map(([prefix, keys]) => ({ prefix, file: files.get(prefix)!, keys }));
  } finally {
    redis.disconnect();
  }
}
