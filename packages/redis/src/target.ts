import type { RedisConfig } from '@gatehouse/config';
import { redactRedisUrl } from './url.js';

/** Where and how to reach Redis: a URL, or the config's `redis` section (key prefix aside). */
export type RedisTarget = string | Omit<RedisConfig, 'keyPrefix'>;

/** The section a bare URL stands for. */
export function targetConfig(target: RedisTarget): Omit<RedisConfig, 'keyPrefix'> {
  return typeof target === 'string' ? { url: target } : target;
}

/**
 * The target for logs and errors, without secrets: the redacted URL, or the Sentinel master name and
 * the sentinels asked, e.g. `Sentinel master "gatehouse" via sentinel-0:26379, sentinel-1:26379`.
 */
export function describeRedis(target: RedisTarget): string {
  const config = targetConfig(target);
  if (!config.sentinel) return redactRedisUrl(config.url);
  const { name, sentinels } = config.sentinel;
  return `Sentinel master "${name}" via ${sentinels.map(({ host, port }) => `${host}:${port}`).join(', ')}`;
}
