import type { Redis } from 'ioredis';
import { type ChainHead, EMPTY_HEAD } from '../chain/link.js';
import type { VerifyResult } from '../chain/verify.js';
import { verifyChain } from '../chain/verify.js';
import type { AuditKeys } from '../keys.js';
import { eventField, readLog } from './log-reader.js';

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

/**
 * Verifies the part of the log from stream id `from` to the chain head: every event from there on
 * hashes to itself and links to the one before, the first to the entry before `from`, whose own
 * link is where the walk starts (`gatehouse-audit show` checks what it prints, and everything
 * after it, in time that grows with the events since, not with the whole log).
 */
export async function verifyLogFrom(redis: Redis, keys: AuditKeys, from: string): Promise<VerifyResult> {
  const replies = await redis
    .multi()
    .hmget(keys.head, 'seq', 'hash')
    .xrevrange(keys.log, '+', '-', 'COUNT', 1)
    .xrevrange(keys.log, `(${from}`, '-', 'COUNT', 1)
    .exec();
  const [seq, hash] = (replies?.[0]?.[1] ?? []) as (string | null)[];
  const last = (replies?.[1]?.[1] ?? []) as [string, string[]][];
  const before = (replies?.[2]?.[1] ?? []) as [string, string[]][];
  const head = seq && hash ? { seq: Number(seq), hash } : EMPTY_HEAD;
  const end = last[0]?.[0];
  if (end === undefined) return verifyChain([], head);
  const previous = before[0];
  if (previous === undefined) return verifyChain(lines(readLog(redis, keys, '-', end)), head);
  // The entry before is walked too, from its own link: its fields must hash to what the next links to.
  // An unreadable entry before fails as malformed whatever the start.
  const start = linkOf(eventField(previous[1])) ?? EMPTY_HEAD;
  return verifyChain(lines(readLog(redis, keys, previous[0], end)), head, start);
}

/** The link an entry claims to follow: its seq - 1 and prevHash; undefined when unreadable (verify says malformed). */
function linkOf(line: string): ChainHead | undefined {
  try {
    const event = JSON.parse(line) as { seq?: unknown; prevHash?: unknown };
    return Number.isSafeInteger(event.seq) && typeof event.prevHash === 'string'
      ? { seq: (event.seq as number) - 1, hash: event.prevHash }
      : undefined;
  } catch {
    return undefined;
  }
}

async function* lines(entries: AsyncIterable<{ line: string }>): AsyncGenerator<string> {
  for await (const entry of entries) yield entry.line;
}
