/** Stable codes callers branch on; never match on message text. */
export enum RedisErrorCode {
  /** Redis did not answer at start-up: nothing the service does can work without it. */
  Unreachable = 'REDIS_UNREACHABLE',
  /** Redis went away while running and did not come back within the allowed time. */
  Lost = 'REDIS_LOST',
  /** No sentinel of `redis.sentinels` knows a master called `redis.name`. */
  UnknownMaster = 'REDIS_UNKNOWN_MASTER',
  /** The TLS handshake failed (unknown CA, wrong name, plain-text server). */
  Tls = 'REDIS_TLS_FAILED',
  /** Redis refused the user or password. */
  Auth = 'REDIS_AUTH_FAILED',
  /** Redis runs in cluster mode, which Gatehouse refuses (one shard holds one ordered audit head). */
  ClusterRefused = 'REDIS_CLUSTER_REFUSED',
  /** A setting could not be used (a password file that is not there, an unset variable). */
  Setting = 'REDIS_SETTING_INVALID',
  /** Fewer replicas than `redis.minReplicasToAck` confirmed a write within `redis.ackTimeout`. */
  NotDurable = 'REDIS_NOT_DURABLE',
}

export abstract class RedisError extends Error {
  abstract readonly code: RedisErrorCode;
}

export class RedisUnreachableError extends RedisError {
  override readonly name = 'RedisUnreachableError';
  readonly code = RedisErrorCode.Unreachable;
  constructor(
    /** The target without its password (see describeRedis). */
    readonly url: string,
    cause: unknown,
    fix = 'start Redis or fix redis.url in gatehouse.yaml (REDIS_URL overrides it)',
  ) {
    super(`cannot reach Redis at ${url}: ${describeCause(cause)}; ${fix}`, { cause });
  }
}

export class RedisUnknownMasterError extends RedisError {
  override readonly name = 'RedisUnknownMasterError';
  readonly code = RedisErrorCode.UnknownMaster;
  constructor(
    readonly master: string,
    sentinels: string,
  ) {
    super(
      `no Redis Sentinel at ${sentinels} knows a master named "${master}"; set redis.name to the name of the sentinels' "sentinel monitor <name> <host> <port> <quorum>" line`,
    );
  }
}

export class RedisTlsError extends RedisError {
  override readonly name = 'RedisTlsError';
  readonly code = RedisErrorCode.Tls;
  constructor(where: string, cause: unknown) {
    super(
      `TLS to Redis at ${where} failed: ${describeCause(cause)}; set redis.tls.caFile to the CA that signed the server's certificate (redis.tls.servername to the name in it when connecting by IP), or use redis:// if the server speaks plain text`,
      { cause },
    );
  }
}

export class RedisAuthError extends RedisError {
  override readonly name = 'RedisAuthError';
  readonly code = RedisErrorCode.Auth;
  /** `by`: the primary refused them, or a sentinel did (its own credentials). */
  constructor(where: string, cause: unknown, by: 'primary' | 'sentinel' = 'primary') {
    super(
      by === 'sentinel'
        ? `${where}: the sentinels refused their credentials: ${describeCause(cause)}; set redis.sentinelPasswordFile or redis.sentinelPasswordEnv (and redis.sentinelUsername for an ACL user) to what the sentinels require (sentinel.conf requirepass or ACL)`
        : `Redis at ${where} refused the credentials: ${describeCause(cause)}; check redis.username and the password in redis.passwordFile or redis.passwordEnv against the server's ACL (ACL LIST)`,
      { cause },
    );
  }
}

export class RedisClusterRefusedError extends RedisError {
  override readonly name = 'RedisClusterRefusedError';
  readonly code = RedisErrorCode.ClusterRefused;
  constructor(where: string) {
    super(
      `Redis at ${where} runs in cluster mode (cluster_enabled:1), which Gatehouse does not use: the audit chain has one ordered head and approvals are human-scale, so one primary (with replicas and Sentinel for failover) holds everything; point redis.url at a Redis with cluster-enabled no, or use redis.sentinels`,
    );
  }
}

export class RedisSettingError extends RedisError {
  override readonly name = 'RedisSettingError';
  readonly code = RedisErrorCode.Setting;
  constructor(
    readonly key: string,
    problem: string,
  ) {
    super(`${key} ${problem}`);
  }
}

/**
 * A must-survive write reached the primary but not enough replicas in time. The caller acts on
 * nothing (sends nothing upstream, tells no one "recorded"): a failover now could lose the write.
 */
export class RedisNotDurableError extends RedisError {
  override readonly name = 'RedisNotDurableError';
  readonly code = RedisErrorCode.NotDurable;
  constructor(
    readonly acked: number,
    readonly wanted: number,
    readonly timeoutMs: number,
  ) {
    super(
      `Redis could not confirm the write on ${wanted} replica(s) within ${timeoutMs} ms (${acked} confirmed), so nothing was acted on; retry shortly (redis.minReplicasToAck and redis.ackTimeout set this)`,
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
