import type { AuditSinkConfig } from '@gatehouse/config';
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
}

export interface ResolvedOptions {
  readonly prefix: string;
  readonly stream: boolean;
  readonly sinks: readonly (Exclude<AuditSinkConfig, { type: 'redis' }> | AuditSink)[];
  readonly bodies: BodyMode;
  readonly recordingsDir: string;
  readonly maxBatch: number;
  readonly maxWaitMs: number;
  readonly clock: () => number;
  readonly onSinkError: (error: unknown, sink: string) => void;
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
    if (!['redis', 'file', 'stdout'].includes(sink.type)) {
      throw new InvalidOptionsError(
        `unknown audit sink type ${JSON.stringify(sink.type)}; use redis, file or stdout`,
      );
    }
  }
  return {
    prefix: options.prefix ?? 'gatehouse',
    stream: sinks.some((sink) => !('write' in sink) && sink.type === 'redis'),
    sinks: sinks.filter(
      (sink): sink is ResolvedOptions['sinks'][number] => 'write' in sink || sink.type !== 'redis',
    ),
    bodies,
    recordingsDir: options.recordingsDir ?? '.gatehouse/recordings',
    maxBatch,
    maxWaitMs,
    clock: options.clock ?? Date.now,
    onSinkError:
      options.onSinkError ??
      ((error, sink) => process.stderr.write(`gatehouse audit: sink ${sink} failed: ${String(error)}\n`)),
  };
}
