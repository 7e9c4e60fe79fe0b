import type { AuditSinkConfig, WebhookSinkConfig } from '@gatehouse/config';
import type { Redis } from 'ioredis';
import { InvalidOptionsError } from '../errors.js';
import type { BodyMode } from '../redact/index.js';
import type { AuditSink } from '../sinks/types.js';

export interface AuditLogOptions {
  /** A connection shared with the app, or a URL the log connects to (and disconnects on close). */
  readonly redis: Redis | string;
  /** Key prefix (`redis.keyPrefix` in gatehouse.yaml). @defaultValue 'gatehouse' */
  readonly prefix?: string | undefined;
  /**
   * Where events go. The chain head always lives in Redis; `redis` also stores the events
   * in a stream there (what the CLI reads). A custom {@link AuditSink} is accepted too.
   * @defaultValue [{ type: 'redis' }]
   */
  readonly sinks?: readonly (AuditSinkConfig | AuditSink)[] | undefined;
  /** @defaultValue 'hash' */
  readonly bodies?: BodyMode | undefined;
  /** Where session recordings go. @defaultValue '.gatehouse/recordings' */
  readonly recordingsDir?: string | undefined;
  /** Most events per compare-and-set round trip. @defaultValue 500 */
  readonly maxBatch?: number | undefined;
  /** How long a batch may wait for its place in the chain before failing with ContendedError. @defaultValue 5000 */
  readonly maxWaitMs?: number | undefined;
  /** Epoch milliseconds; events are stamped when recorded. @defaultValue Date.now */
  readonly clock?: (() => number) | undefined;
  /** A secondary sink failed (the event is in the chain already). @defaultValue writes a line to stderr */
  readonly onSinkError?: ((error: unknown, sink: string) => void) | undefined;
  /** Webhook sinks' pause between attempts at one batch. @defaultValue 500 ms doubling to 30 s */
  readonly webhookBackoff?: { readonly minMs: number; readonly maxMs: number } | undefined;
  /** Where webhook sinks read `hmacSecretEnv` and `headersFromEnv`. @defaultValue process.env */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
}

export interface ResolvedOptions {
  readonly prefix: string;
  readonly stream: boolean;
  readonly sinks: readonly (Exclude<AuditSinkConfig, { type: 'redis' } | WebhookSinkConfig> | AuditSink)[];
  /** Shipped from the stream by a shipper each, not written in-process. */
  readonly webhooks: readonly WebhookSinkConfig[];
  readonly bodies: BodyMode;
  readonly recordingsDir: string;
  readonly maxBatch: number;
  readonly maxWaitMs: number;
  readonly clock: () => number;
  readonly onSinkError: (error: unknown, sink: string) => void;
  readonly webhookBackoff: { readonly minMs: number; readonly maxMs: number } | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
}

export function resolveOptions(options: AuditLogOptions): ResolvedOptions {
  const sinks = options.sinks ?? [{ type: 'redis' }];
  if (sinks.length === 0)
    throw new InvalidOptionsError('audit.sinks is empty; list at least one of redis, file, stdout');
  const maxBatch = options.maxBatch ?? 500;
  const maxWaitMs = options.maxWaitMs ?? 5000;
  for (const [name, value] of [
    ['maxBatch', maxBatch],
    ['maxWaitMs', maxWaitMs],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new InvalidOptionsError(`audit ${name} must be a positive integer, got ${value}`);
    }
  }
  const bodies = options.bodies ?? 'hash';
  if (bodies !== 'hash' && bodies !== 'full') {
    throw new InvalidOptionsError(`audit.bodies must be 'hash' or 'full', got ${JSON.stringify(bodies)}`);
  }
  for (const sink of sinks) {
    if ('write' in sink) continue;
    if (sink.type === 'file' && !sink.path) throw new InvalidOptionsError('audit file sink needs a path');
    if (!['redis', 'file', 'stdout', 'webhook'].includes(sink.type)) {
      throw new InvalidOptionsError(
        `unknown audit sink type ${JSON.stringify(sink.type)}; use redis, file, stdout or webhook`,
      );
    }
  }
  const stream = sinks.some((sink) => !('write' in sink) && sink.type === 'redis');
  const webhooks = sinks.filter(
    (sink): sink is WebhookSinkConfig => !('write' in sink) && sink.type === 'webhook',
  );
  if (webhooks.length > 0 && !stream)
    throw new InvalidOptionsError(
      'a webhook audit sink ships from the Redis stream; add { type: redis } to audit.sinks',
    );
  return {
    prefix: options.prefix ?? 'gatehouse',
    stream,
    sinks: sinks.filter(
      (sink): sink is ResolvedOptions['sinks'][number] =>
        'write' in sink || (sink.type !== 'redis' && sink.type !== 'webhook'),
    ),
    webhooks,
    bodies,
    recordingsDir: options.recordingsDir ?? '.gatehouse/recordings',
    maxBatch,
    maxWaitMs,
    clock: options.clock ?? Date.now,
    onSinkError:
      options.onSinkError ??
      ((error, sink) => process.stderr.write(`gatehouse audit: sink ${sink} failed: ${String(error)}\n`)),
    webhookBackoff: options.webhookBackoff,
    env: options.env ?? process.env,
  };
}
