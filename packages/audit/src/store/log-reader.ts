import type { Redis } from 'ioredis';
import type { AuditKeys } from '../keys.js';

/** One entry of the log stream: its Redis id and the serialised event as stored. */
export interface LogEntry {
  readonly id: string;
  readonly line: string;
}

const PAGE = 1000;

/** Reads the log stream in order between stream ids (`-` and `+`: all), a page at a time. */
export async function* readLog(
  redis: Redis,
  keys: AuditKeys,
  start = '-',
  end = '+',
): AsyncGenerator<LogEntry> {
  let from = start;
  for (;;) {
    const page = await redis.xrange(keys.log, from, end, 'COUNT', PAGE);
    for (const [id, fields] of page) yield { id, line: eventField(fields) };
    const last = page[page.length - 1];
    if (!last || page.length < PAGE) return;
    from = `(${last[0]}`;
  }
}

/**
 * Writers' clocks and Redis's differ a little, and stream ids are Redis's clock while an event's
 * `time` is its writer's: a read by event time starts this much earlier in the stream.
 */
const CLOCK_SKEW_MS = 60_000;

/** Every entry that may carry an event `time` at or after `sinceMs`; the caller filters on `time`. */
export function readLogSince(redis: Redis, keys: AuditKeys, sinceMs: number): AsyncGenerator<LogEntry> {
  const start = sinceMs - CLOCK_SKEW_MS > 0 ? String(sinceMs - CLOCK_SKEW_MS) : '-';
  return readLog(redis, keys, start);
}

/** The last `count` entries, oldest first. */
export async function readLast(redis: Redis, keys: AuditKeys, count: number): Promise<LogEntry[]> {
  const page = await redis.xrevrange(keys.log, '+', '-', 'COUNT', count);
  return page.reverse().map(([id, fields]) => ({ id, line: eventField(fields) }));
}

/** One approval's entries through its index list; ids whose entry is gone are skipped (verify reports them). */
export async function readApproval(redis: Redis, keys: AuditKeys, approvalId: string): Promise<LogEntry[]> {
  return (await readApprovalIndexed(redis, keys, approvalId)).entries;
}

/** One approval's entries, and the ids its index lists whose entry is no longer in the log. */
export async function readApprovalIndexed(
  redis: Redis,
  keys: AuditKeys,
  approvalId: string,
): Promise<{ entries: LogEntry[]; missing: string[] }> {
  const ids = await redis.lrange(keys.approval(approvalId), 0, -1);
  if (ids.length === 0) return { entries: [], missing: [] };
  const pipeline = redis.pipeline();
  for (const id of ids) pipeline.xrange(keys.log, id, id);
  const replies = (await pipeline.exec()) ?? [];
  const entries: LogEntry[] = [];
  for (const [error, page] of replies) {
    if (error) throw error;
    for (const [id, fields] of page as [string, string[]][]) entries.push({ id, line: eventField(fields) });
  }
  const found = new Set(entries.map((entry) => entry.id));
  return { entries, missing: ids.filter((id) => !found.has(id)) };
}

/**
 * Yields entries appended after the stream id `after` (`0-0`: all) until the signal
 * aborts. Blocks a connection, so give it one of its own.
 */
export async function* followLog(
  redis: Redis,
  keys: AuditKeys,
  after: string,
  signal: AbortSignal,
): AsyncGenerator<LogEntry> {
  let last = after;
  while (!signal.aborted) {
    const reply = await redis.xread('COUNT', PAGE, 'BLOCK', 1000, 'STREAMS', keys.log, last);
    for (const [, entries] of reply ?? []) {
      for (const [id, fields] of entries) {
        last = id;
        yield { id, line: eventField(fields) };
      }
    }
  }
}

/** The serialised event of a stream entry's fields (`e`), '' when there is none. */
export function eventField(fields: string[]): string {
  const at = fields.indexOf('e');
  return at >= 0 && at % 2 === 0 ? (fields[at + 1] ?? '') : '';
}
