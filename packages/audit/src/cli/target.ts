import type { GatehouseConfig } from '@gatehouse/config';
import { loadConfig } from '@gatehouse/config';
import type { RedisTarget } from '@gatehouse/redis';

export type Env = Readonly<Record<string, string | undefined>>;

/** Where the log lives. */
export interface Target {
  /** A URL from --redis-url or REDIS_URL, else the config's `redis` section (Sentinel, TLS, ACL). */
  readonly redis: RedisTarget;
  readonly prefix: string;
}

export interface TargetFlags {
  readonly config?: string | undefined;
  readonly redisUrl?: string | undefined;
  readonly prefix?: string | undefined;
}

/** Flags win, then REDIS_URL / GATEHOUSE_PREFIX, then gatehouse.yaml (--config or GATEHOUSE_CONFIG), then defaults. */
export function resolveTarget(flags: TargetFlags, env: Env): Target {
  const configPath = flags.config ?? env.GATEHOUSE_CONFIG;
  const config: GatehouseConfig | undefined = configPath ? loadConfig(configPath, env) : undefined;
  return {
    redis: flags.redisUrl ?? env.REDIS_URL ?? config?.redis ?? 'redis://127.0.0.1:6379',
    prefix: flags.prefix ?? env.GATEHOUSE_PREFIX ?? config?.redis.keyPrefix ?? 'gatehouse',
  };
}
