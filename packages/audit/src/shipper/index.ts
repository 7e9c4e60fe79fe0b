import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { WebhookSinkConfig } from '@gatehouse/config';
import type { Redis } from 'ioredis';
import { seqOfLine } from '../chain/link.js';
import { InvalidOptionsError } from '../errors.js';
import { createK8sAuditConverter, type K8sAuditConverter } from '../k8s-audit/convert.js';
import type { AuditKeys } from '../keys.js';
import { type LogEntry, readLog } from '../store/log-reader.js';
import { encodeBatch } from './encode.js';
import {
  ADVANCE_SCRIPT,
  ADVANCE_SCRIPT_SHA1,
  LEASE_SCRIPT,
  LEASE_SCRIPT_SHA1,
  RELEASE_SCRIPT,
} from './scripts.js';
import { SIGNATURE_HEADER, signBatch } from './signature.js';

export interface ShipperOptions {
  /** The app's connection; the shipper opens one more of its own for blocking reads. */
  readonly redis: Redis;
  readonly keys: AuditKeys;
  readonly sink: WebhookSinkConfig;
  /** A delivery failed and will be retried (no event is dropped). @defaultValue a line on stderr */
  readonly onError?: ((error: unknown, sink: string) => void) | undefined;
  /** Where `hmacSecretEnv` and `headersFromEnv` are read. @defaultValue process.env */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
  /** First and longest pause between attempts at one batch (doubling between). @defaultValue 500 ms, 30 s */
  readonly backoff?: { readonly minMs: number; readonly maxMs: number } | undefined;
}

/** A webhook sink being shipped to. */
export interface Shipper {
  readonly name: string;
  /** Chain events not yet delivered: the head's seq less the sink's cursor. */
  backlog(): Promise<number>;
  /** Stops after the POST under way (at most `timeout`); what was not delivered is delivered by the next process. */
  stop(): Promise<void>;
}

/** k8s-audit: a request answered within this long after a restart still finds what it was asked with. */
const K8S_REPLAY_MS = 2 * 60 * 60 * 1000;
/** How often a process that does not hold the lease asks again. */
const STANDBY_MS = 1000;

/**
 * Ships the chain to a webhook from the Redis stream, from the sink's cursor on. The stream is the
 * backlog: memory holds one batch, a receiver that is down only makes the backlog longer, and a
 * restart (any replica: one holds the lease) resumes after the last batch the receiver took.
 * Delivery is at least once: a batch whose answer was lost is sent again, byte for byte, so a
 * receiver drops what it already has by `seq` (gatehouse) or `auditID` (k8s-audit).
 */
export function startShipper(options: ShipperOptions): Shipper {
  const { redis, keys, sink } = options;
  const { secret, headers: sinkHeaders } = secretsOf(sink, options.env ?? process.env);
  const reader = redis.duplicate();
  const holder = randomUUID();
  const controller = new AbortController();
  const { signal } = controller;
  const backoff = options.backoff ?? { minMs: 500, maxMs: 30_000 };
  const leaseMs = Math.max(15_000, 3 * sink.timeoutMs);
  const onError =
    options.onError ??
    ((error: unknown, name: string) =>
      process.stderr.write(`gatehouse audit: webhook ${name} delivery failed, retrying: ${String(error)}\n`));
  const lease = keys.sinkLease(sink.name);
  const cursorKey = keys.sinkCursor(sink.name);

  const script = async (sha: string, body: string, keyList: string[], args: string[]): Promise<number> => {
    try {
      return (await redis.evalsha(sha, keyList.length, ...keyList, ...args)) as number;
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return (await redis.eval(body, keyList.length, ...keyList, ...args)) as number;
    }
  };
  const holdLease = async () =>
    (await script(LEASE_SCRIPT_SHA1, LEASE_SCRIPT, [lease], [holder, String(leaseMs)])) === 1;
  const readCursor = async () => {
    const [seq, id] = await redis.hmget(cursorKey, 'seq', 'id');
    return { seq: Number(seq ?? 0), id: id ?? '0-0' };
  };
  const pause = (ms: number) => sleep(ms, undefined, { signal }).catch(() => undefined);

  /** The next batch after `id`: full, or whatever is there once its oldest event waited flushInterval. */
  const nextBatch = async (id: string): Promise<LogEntry[]> => {
    for (;;) {
      const page = await reader.xrange(keys.log, `(${id}`, '+', 'COUNT', sink.batchSize);
      const entries = page.map(([entryId, fields]) => ({
        id: entryId,
        line: fields[fields.indexOf('e') + 1] ?? '',
      }));
      const oldest = entries[0];
      if (!oldest) {
        // Wakes on the next append; the bound lets stop() and the lease renewal in.
        await reader.xread('COUNT', 1, 'BLOCK', sink.flushIntervalMs, 'STREAMS', keys.log, id);
        if (signal.aborted) return [];
        continue;
      }
      const waited = Date.now() - Number(oldest.id.split('-')[0]);
      if (entries.length >= sink.batchSize || waited >= sink.flushIntervalMs) return entries;
      await pause(sink.flushIntervalMs - waited);
      if (signal.aborted) return [];
    }
  };

  /** POSTs until the receiver takes it (2xx); false when stopped or the lease was lost meanwhile. */
  const deliver = async (body: string, contentType: string, batch: readonly LogEntry[]): Promise<boolean> => {
    const first = seqOf(batch[0]!);
    const last = seqOf(batch[batch.length - 1]!);
    for (let attempt = 0; !signal.aborted; attempt += 1) {
      if (attempt > 0) {
        await pause(Math.min(backoff.maxMs, backoff.minMs * 2 ** (attempt - 1)));
        if (signal.aborted || !(await holdLease())) return false;
      }
      const headers: Record<string, string> = {
        ...sinkHeaders,
        'content-type': contentType,
        'gatehouse-batch': `${first}-${last}`,
      };
      if (secret) headers[SIGNATURE_HEADER] = signBatch(secret, body, Math.floor(Date.now() / 1000));
      try {
        const response = await fetch(sink.url, {
          method: 'POST',
          headers,
          body,
          // Not aborted by stop(): a POST under way finishes (within timeout) and its batch is marked
          // delivered, so a graceful restart sends nothing twice.
          signal: AbortSignal.timeout(sink.timeoutMs),
        });
        await response.body?.cancel();
        if (response.ok) return true;
        onError(
          new Error(`batch ${first}-${last}: ${new URL(sink.url).host} answered ${response.status}`),
          sink.name,
        );
      } catch (error) {
        if (signal.aborted) return false;
        const reason =
          error instanceof Error
            ? error.cause instanceof Error
              ? error.cause.message
              : error.message
            : String(error);
        onError(new Error(`batch ${first}-${last}: ${new URL(sink.url).host}: ${reason}`), sink.name);
      }
    }
    return false;
  };

  /** k8s-audit: rebuilds which requests were still waiting at the cursor, delivering nothing. */
  const replayTo = async (cursorId: string): Promise<K8sAuditConverter> => {
    const converter = createK8sAuditConverter();
    if (cursorId === '0-0') return converter;
    const from = Math.max(0, Number(cursorId.split('-')[0]) - K8S_REPLAY_MS);
    for await (const entry of readLog(redis, keys, String(from), cursorId))
      converter.push(JSON.parse(entry.line));
    return converter;
  };

  const run = async () => {
    let converter: K8sAuditConverter | undefined;
    while (!signal.aborted) {
      try {
        if (!(await holdLease())) {
          converter = undefined;
          await pause(STANDBY_MS);
          continue;
        }
        const cursor = await readCursor();
        if (sink.format === 'k8s-audit') converter ??= await replayTo(cursor.id);
        const batch = await nextBatch(cursor.id);
        if (batch.length === 0) continue;
        const { body, contentType } = encodeBatch(sink.format, batch, converter);
        const delivered = body === undefined || (await deliver(body, contentType, batch));
        const last = batch[batch.length - 1]!;
        const moved =
          delivered &&
          (await script(
            ADVANCE_SCRIPT_SHA1,
            ADVANCE_SCRIPT,
            [lease, cursorKey],
            [holder, String(seqOf(last)), last.id],
          )) === 1;
        // A batch not delivered, or delivered after the lease moved on: the converter's state is ahead of the cursor.
        if (!moved) converter = undefined;
      } catch (error) {
        if (signal.aborted) break;
        converter = undefined;
        onError(error, sink.name);
        await pause(backoff.minMs);
      }
    }
  };
  const running = run();

  return {
    name: sink.name,
    async backlog() {
      const [head, delivered] = await Promise.all([
        redis.hget(keys.head, 'seq'),
        redis.hget(cursorKey, 'seq'),
      ]);
      return Math.max(0, Number(head ?? 0) - Number(delivered ?? 0));
    },
    async stop() {
      controller.abort();
      reader.disconnect();
      await running;
      // Hand over at once rather than when the lease runs out.
      await redis.eval(RELEASE_SCRIPT, 1, lease, holder).catch(() => undefined);
    },
  };
}

/** The signing key and the headers from the environment; a variable that is not set stops start-up. */
function secretsOf(
  sink: WebhookSinkConfig,
  env: Readonly<Record<string, string | undefined>>,
): { secret: string | undefined; headers: Record<string, string> } {
  const read = (variable: string, key: string) => {
    const value = env[variable];
    if (!value)
      throw new InvalidOptionsError(
        `audit webhook sink ${sink.name}: ${key} names ${variable}, which is not set in the environment`,
      );
    return value;
  };
  const headers: Record<string, string> = { ...sink.headers };
  for (const [header, variable] of Object.entries(sink.headersFromEnv))
    headers[header] = read(variable, `headersFromEnv.${header}`);
  return { secret: sink.hmacSecretEnv ? read(sink.hmacSecretEnv, 'hmacSecretEnv') : undefined, headers };
}

function seqOf(entry: LogEntry): number {
  return seqOfLine(entry.line) ?? 0;
}
