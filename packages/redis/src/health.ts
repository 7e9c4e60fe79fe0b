import { RECONNECT_MAX_DELAY_MS } from './connect.js';
import { describeCause, RedisErrorCode, RedisLostError } from './errors.js';
import { describeRedis, type RedisTarget } from './target.js';

/** The pino subset this needs. */
export interface HealthLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/** Anything that emits `error`: ioredis clients, BullMQ queues and workers. */
export interface ErrorEmitter {
  on(event: 'error', listener: (error: Error) => void): unknown;
}

export interface RedisHealthOptions {
  /** Which Redis, for the outage lines (shown without its password). */
  readonly redis: RedisTarget;
  /** Resolves when Redis answers (PING on a client of the service). */
  readonly ping: () => Promise<unknown>;
  readonly log: HealthLog;
  /** What `ready()` is for, in the outage line, e.g. `/healthz answers 503`. */
  readonly readiness: string;
  /** How long an outage may last before `onGiveUp`. @defaultValue 60_000 */
  readonly giveUpAfterMs?: number | undefined;
  /** Called once when Redis has been gone for `giveUpAfterMs` (a service usually exits). */
  readonly onGiveUp: (error: RedisLostError) => void;
  /** How often an outage re-checks with `ping`. @defaultValue 1_000 */
  readonly checkEveryMs?: number | undefined;
  /** @defaultValue Date.now */
  readonly now?: (() => number) | undefined;
}

/**
 * One view of "is Redis there" for a process with many connections (its own clients, BullMQ's, the
 * approvals store's): every connection's errors come here; an outage is logged once (no stack, no
 * line per reconnect attempt), re-checked with PING until Redis answers again (logged once), and
 * given up after `giveUpAfterMs`. Errors that are not about the connection are logged as they come.
 */
export interface RedisHealth {
  /** Routes an emitter's `error` events here; `source` names it in non-connection error lines. */
  watch(emitter: ErrorEmitter, source: string): void;
  /** True when `error` was a connection failure (now part of the outage); false for anything else. */
  report(error: unknown): boolean;
  /** False during an outage; otherwise whether Redis answers PING now. */
  ready(): Promise<boolean>;
  close(): void;
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
]);
// ioredis's messages for commands that failed because the connection is gone (lib/utils, Redis.ts).
const CONNECTION_MESSAGES = [
  'Connection is closed',
  "Stream isn't writeable",
  'Reached the max retries per request limit',
  'Command timed out',
];

/** Whether an error means "Redis is not reachable" rather than a bug or a refused command. */
export function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && CONNECTION_CODES.has(code)) return true;
  if (error.name === 'MaxRetriesPerRequestError') return true;
  return CONNECTION_MESSAGES.some((text) => error.message.includes(text));
}

export function createRedisHealth(options: RedisHealthOptions): RedisHealth {
  const url = describeRedis(options.redis);
  const giveUpAfterMs = options.giveUpAfterMs ?? 60_000;
  const checkEveryMs = options.checkEveryMs ?? 1_000;
  const now = options.now ?? Date.now;
  const { log } = options;
  let outage: { since: number; cause: unknown; timer: NodeJS.Timeout } | undefined;
  let closed = false;

  const recheck = async () => {
    if (!outage) return;
    const answered = await options.ping().then(
      () => true,
      () => false,
    );
    if (!outage || closed) return;
    const downForMs = now() - outage.since;
    if (answered) {
      clearInterval(outage.timer);
      outage = undefined;
      log.info(
        { redis: url, downForMs },
        `Redis at ${url} answers again after ${Math.round(downForMs / 1000)}s`,
      );
      return;
    }
    if (downForMs >= giveUpAfterMs) {
      const error = new RedisLostError(url, downForMs, outage.cause);
      clearInterval(outage.timer);
      closed = true;
      log.error({ code: error.code, redis: url, downForMs }, error.message);
      options.onGiveUp(error);
    }
  };

  const report = (error: unknown): boolean => {
    if (!isConnectionError(error)) return false;
    if (outage || closed) return true;
    let checking = false;
    const timer = setInterval(() => {
      if (checking) return;
      checking = true;
      void recheck().finally(() => {
        checking = false;
      });
    }, checkEveryMs);
    timer.unref();
    outage = { since: now(), cause: error, timer };
    log.warn(
      { code: RedisErrorCode.Lost, redis: url },
      `lost Redis at ${url} (${describeCause(error)}); reconnecting every ${RECONNECT_MAX_DELAY_MS / 1000}s at most, ` +
        `${options.readiness} until it is back, giving up after ${Math.round(giveUpAfterMs / 1000)}s`,
    );
    return true;
  };

  return {
    watch(emitter, source) {
      emitter.on('error', (error) => {
        if (!report(error)) log.error({ err: error, source }, `${source} failed`);
      });
    },
    report,
    async ready() {
      if (outage || closed) return false;
      try {
        await options.ping();
        return true;
      } catch (error) {
        report(error);
        return false;
      }
    },
    close() {
      closed = true;
      if (outage) clearInterval(outage.timer);
      outage = undefined;
    },
  };
}
