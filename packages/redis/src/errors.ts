/** Stable codes callers branch on; never match on message text. */
export enum RedisErrorCode {
  /** Redis did not answer at start-up: nothing the service does can work without it. */
  Unreachable = 'REDIS_UNREACHABLE',
  /** Redis went away while running and did not come back within the allowed time. */
  Lost = 'REDIS_LOST',
}

export abstract class RedisError extends Error {
  abstract readonly code: RedisErrorCode;
}

export class RedisUnreachableError extends RedisError {
  override readonly name = 'RedisUnreachableError';
  readonly code = RedisErrorCode.Unreachable;
  constructor(
    /** The URL without its password. */
    readonly url: string,
    cause: unknown,
  ) {
    super(
      `cannot reach Redis at ${url}: ${describeCause(cause)}; start Redis or fix redis.url in gatehouse.yaml (REDIS_URL overrides it)`,
      { cause },
    );
  }
}

export class RedisLostError extends RedisError {
  override readonly name = 'RedisLostError';
  readonly code = RedisErrorCode.Lost;
  constructor(
    readonly url: string,
    readonly downForMs: number,
    cause: unknown,
  ) {
    super(
      `lost Redis at ${url} ${Math.round(downForMs / 1000)}s ago and it has not come back (${describeCause(cause)}); start Redis or fix redis.url, then restart`,
      { cause },
    );
  }
}

/** The error's one-line message; ioredis's "connect ECONNREFUSED 127.0.0.1:6379" is already clear. */
export function describeCause(cause: unknown): string {
  if (cause instanceof Error) return cause.message || cause.name;
  return String(cause);
}
