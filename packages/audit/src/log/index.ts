import { createRedisClient, reconnectDelay } from '@gatehouse/redis';
import type { TimedEvent } from '../chain/link.js';
import { serialiseEvent } from '../chain/link.js';
import { ClosedError, InvalidEventError } from '../errors.js';
import type { AuditEvent, AuditEventInput, StoredEvent } from '../events.js';
import { auditKeys } from '../keys.js';
import type { RecordingOptions, SessionRecorder } from '../recording/asciicast.js';
import { startAsciicast } from '../recording/asciicast.js';
import { type BodyMode, prepareEvent } from '../redact/index.js';
import { startShipper } from '../shipper/index.js';
import { fileSink } from '../sinks/file.js';
import { stdoutSink } from '../sinks/stdout.js';
import type { AuditSink } from '../sinks/types.js';
import { ChainStore } from '../store/chain-store.js';
import type { AuditLogOptions } from './options.js';
import { resolveOptions } from './options.js';

/** A session recorder whose close() also records the `session.recorded` event. */
export interface AuditedRecorder extends Omit<SessionRecorder, 'close'> {
  /** `problem`: why the session's streams could not be (fully) decoded, as the session tap says. */
  close(problem?: string): Promise<StoredEvent>;
}

/**
 * What a writer of events depends on (the gateway, the slackbot, the approvals store): `AuditLog`
 * fits, tests pass a plain object. Resolves once the event is stored; rejects when it could not be.
 */
export interface AuditPort {
  record(event: AuditEventInput): Promise<unknown>;
}

/** What a process that changes state needs of the log: moving the outbox into the chain (`AuditLog` fits). */
export type AuditOutbox = Pick<AuditLog, 'drainOutbox'>;

export interface AuditLog extends AuditPort {
  /**
   * Adds one event to the chain. Resolves once it is in Redis and the other sinks, with
   * its seq and hash; rejects with an AuditError when it could not be stored.
   */
  record(event: AuditEventInput): Promise<StoredEvent>;
  /**
   * Moves the events that state changes pushed to the outbox (`AuditKeys.outbox`) into the chain,
   * oldest first: at least every entry it held when the call began (another process may have moved
   * some); any process may, and each entry lands exactly once. Resolves with how many this call moved.
   */
  drainOutbox(): Promise<number>;
  /** Starts an asciicast recording of an approved exec/attach session. */
  startRecording(options: RecordingOptions): Promise<AuditedRecorder>;
  /** Resolves when everything recorded so far is stored. */
  flush(): Promise<void>;
  /** Per webhook sink, the chain events it has not delivered yet (the `..._sink_backlog_events` metric). */
  sinkBacklog(): Promise<{ readonly sink: string; readonly events: number }[]>;
  /** Flushes, closes file sinks and the Redis connection if the log opened it. */
  close(): Promise<void>;
}

interface Pending {
  readonly event: TimedEvent;
  readonly resolve: (stored: StoredEvent) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Creates the audit log a process writes to. Events recorded while a batch is in flight
 * go together in the next one, so throughput grows with load while every batch is still
 * one atomic compare-and-set on the shared chain head.
 */
export function createAuditLog(options: AuditLogOptions): AuditLog {
  const resolved = resolveOptions(options);
  const redis =
    typeof options.redis === 'string'
      ? createRedisClient(options.redis, { lazyConnect: false, retryStrategy: reconnectDelay })
      : options.redis;
  const store = new ChainStore(redis, auditKeys(resolved.prefix), {
    stream: resolved.stream,
    maxWaitMs: resolved.maxWaitMs,
  });
  const sinks: AuditSink[] = resolved.sinks.map((sink) => {
    if ('write' in sink) return sink;
    return sink.type === 'file' ? fileSink(sink.path) : stdoutSink();
  });
  const shippers = resolved.webhooks.map((sink) =>
    startShipper({
      redis,
      keys: auditKeys(resolved.prefix),
      sink,
      onError: resolved.onSinkError,
      backoff: resolved.webhookBackoff,
      env: resolved.env,
    }),
  );
  const queue: Pending[] = [];
  let draining: Promise<void> | undefined;
  let closed = false;

  const ship = async (stored: readonly StoredEvent[]) => {
    if (sinks.length === 0) return;
    const lines = stored.map(serialiseEvent);
    await Promise.all(
      sinks.map((sink) =>
        sink.write(lines).catch((error: unknown) => resolved.onSinkError(error, sink.name)),
      ),
    );
  };

  const drain = async () => {
    while (queue.length > 0) {
      const batch = queue.splice(0, resolved.maxBatch);
      try {
        const stored = await store.append(batch.map((pending) => pending.event));
        await ship(stored);
        for (const [i, pending] of batch.entries()) pending.resolve(stored[i]!);
      } catch (error) {
        for (const pending of batch) pending.reject(error);
      }
    }
  };

  const kick = () => {
    draining ??= drain().finally(() => {
      draining = undefined;
      if (queue.length > 0) kick();
    });
  };

  const record = (input: AuditEventInput): Promise<StoredEvent> => {
    if (closed) return Promise.reject(new ClosedError());
    let event: TimedEvent;
    try {
      event = stamped(prepareEvent(input, resolved.bodies), new Date(resolved.clock()).toISOString());
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      queue.push({ event, resolve, reject });
      kick();
    });
  };

  const keys = auditKeys(resolved.prefix);
  let outboxDrain: Promise<number> = Promise.resolve(0);
  const drainOnce = async (): Promise<number> => {
    let moved = 0;
    for (;;) {
      const raws = await redis.lrange(keys.outbox, 0, resolved.maxBatch - 1);
      if (raws.length === 0) return moved;
      const events = raws.map((raw) => outboxEvent(raw, resolved.bodies));
      const stored = await store.appendFrom(events, { key: keys.outbox, raws });
      if (stored === undefined) continue;
      await ship(stored);
      moved += stored.length;
      // A short read held everything the outbox had when this drain began, the caller's event with it;
      // what came since is another change's, whose own drain moves it. One round trip less per change.
      if (raws.length < resolved.maxBatch) return moved;
    }
  };
  // One drain at a time per process; a call made while one runs waits for it, then drains again.
  const drainOutbox = (): Promise<number> => {
    if (closed) return Promise.reject(new ClosedError());
    outboxDrain = outboxDrain.catch(() => 0).then(drainOnce);
    return outboxDrain;
  };

  const flush = async () => {
    while (draining) await draining;
  };

  return {
    record,
    flush,
    drainOutbox,
    sinkBacklog: () =>
      Promise.all(shippers.map(async (shipper) => ({ sink: shipper.name, events: await shipper.backlog() }))),
    async startRecording(recording) {
      const recorder = await startAsciicast(resolved.recordingsDir, recording);
      return {
        ...recorder,
        async close(problem) {
          const summary = await recorder.close(problem);
          return record({
            type: 'session.recorded',
            approvalId: recording.approvalId,
            command: recording.command,
            ...summary,
          });
        },
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      await flush();
      await Promise.all([...sinks.map((sink) => sink.close()), ...shippers.map((shipper) => shipper.stop())]);
      if (typeof options.redis === 'string') await redis.quit();
    },
  };
}

/** An outbox entry: the event as the state change wrote it, with the time the change happened. */
function outboxEvent(raw: string, bodies: BodyMode): TimedEvent {
  let parsed: { time?: unknown } & Record<string, unknown>;
  try {
    parsed = JSON.parse(raw) as typeof parsed;
  } catch {
    throw new InvalidEventError(`audit outbox entry is not JSON: ${raw.slice(0, 80)}`);
  }
  const { time, ...input } = parsed;
  if (typeof time !== 'string')
    throw new InvalidEventError(`audit outbox entry has no time: ${raw.slice(0, 80)}`);
  return stamped(prepareEvent(input as unknown as AuditEventInput, bodies), time);
}

/**
 * The prepared event with its time. prepareEvent's result is a fresh copy no caller holds, so the time
 * is set on it rather than spread into another copy: every request's event passes here.
 */
function stamped(event: AuditEvent, time: string): TimedEvent {
  (event as { time?: string }).time = time;
  return event as TimedEvent;
}
