import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { escapeInvisible } from '@gatehouse/policy';
import { connectRedis, createRedisClient, RedisError, type RedisTarget } from '@gatehouse/redis';
import type { Redis } from 'ioredis';
import { seqOfLine } from '../chain/link.js';
import { type VerifyResult, verifyChain } from '../chain/verify.js';
import { BadArgumentError, NotFoundError, StoreFailedError } from '../errors.js';
import type { StoredEvent } from '../events.js';
import { createK8sAuditConverter } from '../k8s-audit/convert.js';
import type { K8sAuditEvent } from '../k8s-audit/types.js';
import { type AuditKeys, auditKeys } from '../keys.js';
import {
  followLog,
  type LogEntry,
  readApprovalIndexed,
  readLast,
  readLogSince,
} from '../store/log-reader.js';
import { verifyLog, verifyLogFrom } from '../store/verify-log.js';
import { formatLine, formatStory } from './describe.js';
import { parseSince } from './since.js';
import { type Env, resolveTarget } from './target.js';

export interface CliIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  readonly env: Env;
  /** Ends `tail -f`. */
  readonly signal?: AbortSignal | undefined;
  /** Epoch milliseconds, for `--since 90m`. */
  readonly now?: (() => number) | undefined;
}

/** 0: done (verify, show: intact); 1: verify or show found a broken link; 2: bad usage or an error. */
export type ExitCode = 0 | 1 | 2;

export const USAGE = `Usage: gatehouse-audit <command> [options]

Commands:
  show <approval-id>          the story of one request: who asked, who voted and decided when, what the cluster answered;
                              checks the chain from its first event on: exit 1, loudly, when broken
  tail [-n 20] [-f]           the latest events, one line each; -f keeps following
  export --since <time>       JSON Lines on stdout; <time> is ISO 8601 (2026-11-26T01:00:00Z) or a duration (90m, 7d)
         [--format gatehouse|k8s-audit]
                              gatehouse (default): the stored events; k8s-audit: one audit.k8s.io/v1 Event per request
  verify [--file <path>]...   recompute the hash chain; exit 0 when intact, 1 with the first broken link.
                              --file checks JSON Lines from file sinks instead of Redis (several files merge by seq)

Options:
  --config <path>     gatehouse.yaml (default: $GATEHOUSE_CONFIG)
  --redis-url <url>   default: $REDIS_URL, then redis.url from the config, then redis://127.0.0.1:6379
  --prefix <prefix>   default: $GATEHOUSE_PREFIX, then redis.keyPrefix from the config, then gatehouse
  --json              show/tail: print stored events as JSON Lines
  --format <format>   export: gatehouse or k8s-audit
`;

const OPTIONS = {
  config: { type: 'string' },
  'redis-url': { type: 'string' },
  prefix: { type: 'string' },
  follow: { type: 'boolean', short: 'f' },
  lines: { type: 'string', short: 'n' },
  json: { type: 'boolean' },
  since: { type: 'string' },
  format: { type: 'string' },
  file: { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h' },
} as const;

type Flags = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

interface Context {
  readonly redis: Redis;
  readonly keys: AuditKeys;
  readonly flags: Flags;
  readonly io: CliIo;
}

export async function runCli(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  let parsed: { values: Flags; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    io.stderr.write(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values: flags, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (flags.help || command === undefined) {
    (flags.help ? io.stdout : io.stderr).write(USAGE);
    return flags.help ? 0 : 2;
  }
  let redis: Redis | undefined;
  try {
    if (command === 'verify' && flags.file) return report(await verifyFiles(flags.file), io);
    const target = resolveTarget(
      { config: flags.config, redisUrl: flags['redis-url'], prefix: flags.prefix },
      io.env,
    );
    redis = await connect(target.redis);
    const ctx: Context = { redis, keys: auditKeys(target.prefix), flags, io };
    switch (command) {
      case 'show':
        return await show(ctx, rest[0]);
      case 'tail':
        return await tail(ctx);
      case 'export':
        return await exportSince(ctx);
      case 'verify':
        return report(await verifyLog(redis, ctx.keys), io);
      default:
        throw new BadArgumentError(`unknown command ${JSON.stringify(command)}; see gatehouse-audit --help`);
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    io.stderr.write(
      `gatehouse-audit: ${message}${error instanceof BadArgumentError ? `\n\n${USAGE}` : '\n'}`,
    );
    return 2;
  } finally {
    redis?.disconnect();
  }
}

/**
 * The story of one approval, checked: the chain from its first event to the head is verified (and
 * every event its index lists must still be in the log), so a changed, removed or inserted event
 * is said loudly, before and after the story, and the exit code is 1 — as `verify` would.
 */
async function show({ redis, keys, flags, io }: Context, approvalId: string | undefined): Promise<ExitCode> {
  if (!approvalId)
    throw new BadArgumentError('show needs an approval id: gatehouse-audit show <approval-id>');
  const { entries, missing } = await readApprovalIndexed(redis, keys, approvalId);
  if (entries.length === 0 && missing.length === 0) throw new NotFoundError(approvalId);
  const first = entries[0];
  const chain = first === undefined ? undefined : await verifyLogFrom(redis, keys, first.id);
  const broken = brokenStory(chain, missing);
  if (flags.json) {
    io.stdout.write(entries.map((entry) => `${entry.line}\n`).join(''));
  } else {
    if (broken) io.stdout.write(`${broken}\n\n`);
    const events = entries.map(parseEntry);
    const readable = events.filter((event): event is StoredEvent => typeof event !== 'string');
    io.stdout.write(formatStory(approvalId, readable));
    for (const problem of events.filter((event) => typeof event === 'string'))
      io.stdout.write(`${escapeInvisible(problem)}\n`);
    if (broken) io.stdout.write(`\n${broken}\n`);
  }
  if (broken) io.stderr.write(`${broken}\n`);
  return broken ? 1 : 0;
}

/** The warning `show` prints when what it shows cannot be trusted; undefined when the chain holds. */
function brokenStory(chain: VerifyResult | undefined, missing: readonly string[]): string | undefined {
  const problems: string[] = [];
  if (chain && !chain.ok) problems.push(`broken at seq ${chain.seq} (${chain.problem}): ${chain.message}`);
  if (missing.length > 0)
    problems.push(
      `${missing.length} event(s) of this approval are gone from the log (stream ids ${missing.join(', ')})`,
    );
  if (problems.length === 0) return undefined;
  return `!!! AUDIT CHAIN BROKEN — this story cannot be trusted: ${problems.join('; ')}. Run gatehouse-audit verify.`;
}

async function tail({ redis, keys, flags, io }: Context): Promise<ExitCode> {
  const count = Number(flags.lines ?? 20);
  if (!Number.isSafeInteger(count) || count < 1)
    throw new BadArgumentError(`-n ${flags.lines} is not a positive number`);
  const print = (entry: LogEntry) => {
    const event = parseEntry(entry);
    io.stdout.write(`${flags.json || typeof event === 'string' ? entry.line : formatLine(event)}\n`);
  };
  const last = await readLast(redis, keys, count);
  last.forEach(print);
  if (!flags.follow) return 0;
  const follower = redis.duplicate();
  try {
    const signal = io.signal ?? new AbortController().signal;
    for await (const entry of followLog(follower, keys, last[last.length - 1]?.id ?? '0-0', signal))
      print(entry);
  } finally {
    follower.disconnect();
  }
  return 0;
}

async function exportSince({ redis, keys, flags, io }: Context): Promise<ExitCode> {
  if (!flags.since) throw new BadArgumentError('export needs --since <ISO time or duration>');
  const format = flags.format ?? 'gatehouse';
  if (format !== 'gatehouse' && format !== 'k8s-audit')
    throw new BadArgumentError(`--format ${JSON.stringify(format)} is not one of gatehouse, k8s-audit`);
  const since = parseSince(flags.since, (io.now ?? Date.now)());
  const inRange = (event: StoredEvent | string) =>
    typeof event === 'string' || Date.parse(event.time) >= since;
  if (format === 'gatehouse') {
    for await (const entry of readLogSince(redis, keys, since))
      if (inRange(parseEntry(entry))) io.stdout.write(`${entry.line}\n`);
    return 0;
  }
  // A request counts from when it was received: one received before --since is left out, though
  // its answer came after; one still waiting at the end comes out at stage RequestReceived.
  const converter = createK8sAuditConverter();
  const write = (events: readonly K8sAuditEvent[]) => {
    for (const event of events) io.stdout.write(`${JSON.stringify(event)}\n`);
  };
  for await (const entry of readLogSince(redis, keys, since)) {
    const event = parseEntry(entry);
    if (typeof event === 'string') {
      io.stderr.write(`${escapeInvisible(event)}\n`);
      continue;
    }
    if (event.type === 'request.received' && !inRange(event)) continue;
    write(
      converter.push(event).filter((converted) => Date.parse(converted.requestReceivedTimestamp) >= since),
    );
  }
  write(converter.end());
  return 0;
}

/** One file is checked in its line order; several (one per writer process) are merged by seq first. */
async function verifyFiles(paths: readonly string[]): Promise<VerifyResult> {
  const files = await Promise.all(paths.map((path) => readFile(path, 'utf8')));
  const lines = files.flatMap((text) => text.split('\n').filter((line) => line.trim() !== ''));
  if (paths.length === 1) return verifyChain(lines);
  const seqOf = (line: string) => seqOfLine(line) ?? Number.MAX_SAFE_INTEGER;
  return verifyChain(lines.sort((a, b) => seqOf(a) - seqOf(b)));
}

function report(result: VerifyResult, io: CliIo): ExitCode {
  if (result.ok) {
    io.stdout.write(
      `audit log intact: ${result.count} events, head seq ${result.head.seq} (${result.head.hash})\n`,
    );
    return 0;
  }
  io.stdout.write(
    `audit log BROKEN at seq ${result.seq} (entry ${result.position}, ${result.problem}): ${result.message}\n`,
  );
  return 1;
}

/**
 * The gatehouse connection factory (URL or Sentinel, ACL user, TLS), failing fast when Redis is down
 * instead of retrying for ever; the error names the server without its password and the fix.
 */
async function connect(target: RedisTarget): Promise<Redis> {
  try {
    return await connectRedis(target, createRedisClient(target, { maxRetriesPerRequest: 1 }));
  } catch (error) {
    if (!(error instanceof RedisError)) throw error;
    throw new StoreFailedError(`${error.message} (or pass --redis-url)`, error);
  }
}

/** The stored event, or a line saying why it cannot be read (verify says more). */
function parseEntry(entry: LogEntry): StoredEvent | string {
  try {
    return JSON.parse(entry.line) as StoredEvent;
  } catch {
    return `entry ${entry.id} is not valid JSON; run gatehouse-audit verify`;
  }
}
