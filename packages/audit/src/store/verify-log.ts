import type { Redis } from 'ioredis';
import { EMPTY_HEAD } from '../chain/link.js';
import type { VerifyResult } from '../chain/verify.js';
import { verifyChain } from '../chain/verify.js';
import type { AuditKeys } from '../keys.js';
import { readLog } from './log-reader.js';

/**
 * Verifies the log stream against the chain head. Head and last stream id are read in one
 * transaction (the append script moves both atomically), so writers appending meanwhile
 * do not look like tampering.
 */
export async function verifyLog(redis: Redis, keys: AuditKeys): Promise<VerifyResult> {
  const replies = await redis
    .multi()
    .hmget(keys.head, 'seq', 'hash')
    .xrevrange(keys.log, '+', '-', 'COUNT', 1)
    .exec();
  const [seq, hash] = (replies?.[0]?.[1] ?? []) as (string | null)[];
  const last = (replies?.[1]?.[1] ?? []) as [string, string[]][];
  const head = seq && hash ? { seq: Number(seq), hash } : EMPTY_HEAD;
  const end = last[0]?.[0];
  if (end === undefined) return verifyChain([], head);
  return verifyChain(lines(readLog(redis, keys, '-', end)), head);
}

async function* lines(entries: AsyncIterable<{ line: string }>): AsyncGenerator<string> {
  for await (const entry of entries) yield entry.line;
}
