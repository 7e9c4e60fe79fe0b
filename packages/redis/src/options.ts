import { readFileSync } from 'node:fs';
import type { RedisPasswordSource, RedisTlsConfig } from '@gatehouse/config';
import type { RedisOptions } from 'ioredis';
import { RedisSettingError } from './errors.js';
import { type RedisTarget, targetConfig } from './target.js';

/**
 * The ioredis options for a target: the URL, or Sentinel (ioredis asks the sentinels for the
 * current primary of `name` on every (re)connect, so a failover is followed by reconnecting), the
 * ACL user and password, TLS. Reads the password and TLS files now; a missing one is a
 * RedisSettingError naming the key.
 */
export function connectionOptions(
  target: RedisTarget,
  env: NodeJS.ProcessEnv = process.env,
): { url?: string | undefined; options: RedisOptions } {
  const config = targetConfig(target);
  const password =
    config.password &&
    readPassword(config.password, env, { file: 'redis.passwordFile', env: 'redis.passwordEnv' });
  const tlsWanted = config.tls !== undefined || (!config.sentinel && config.url.startsWith('rediss://'));
  const tls = tlsWanted ? tlsOptions(config.tls ?? {}) : undefined;
  const auth: RedisOptions = {
    ...(config.username === undefined ? {} : { username: config.username }),
    ...(password === undefined ? {} : { password }),
    ...(tls === undefined ? {} : { tls }),
  };
  const sentinel = config.sentinel;
  if (!sentinel) return { url: config.url, options: auth };
  const sentinelPassword =
    sentinel.password &&
    readPassword(sentinel.password, env, {
      file: 'redis.sentinelPasswordFile',
      env: 'redis.sentinelPasswordEnv',
    });
  return {
    options: {
      ...auth,
      sentinels: sentinel.sentinels.map(({ host, port }) => ({ host, port })),
      name: sentinel.name,
      ...(sentinel.username === undefined ? {} : { sentinelUsername: sentinel.username }),
      ...(sentinelPassword === undefined ? {} : { sentinelPassword }),
      // The primary is reached over TLS when configured; the sentinels too with sentinelTls (their
      // tls-port), else in plain text (Sentinel hands out addresses only; the primary's certificate is checked).
      enableTLSForSentinelMode: tls !== undefined,
      ...(sentinel.tls ? { sentinelTLS: tlsOptions(config.tls ?? {}) } : {}),
      // No failoverDetector: a dead primary closes the connections anyway, and the detector's
      // disconnect during a reconnect left clients ended for good (ioredis 6, seen in the failover test).
    },
  };
}

/** Reads a password from where the config says; `keys` name the settings in errors. */
function readPassword(
  source: RedisPasswordSource,
  env: NodeJS.ProcessEnv,
  keys: { readonly file: string; readonly env: string },
): string {
  if ('env' in source) {
    const value = env[source.env];
    if (value === undefined || value === '') {
      throw new RedisSettingError(
        keys.env,
        `names ${source.env}, which is not set; set ${source.env} to the Redis password (e.g. from a Kubernetes Secret)`,
      );
    }
    return value;
  }
  // A mounted secret usually ends with a newline; the password does not.
  return readSetting(keys.file, source.file).replace(/\r?\n$/, '');
}

function tlsOptions(config: RedisTlsConfig): NonNullable<RedisOptions['tls']> {
  return {
    ...(config.caFile === undefined ? {} : { ca: readSetting('redis.tls.caFile', config.caFile) }),
    ...(config.certFile === undefined ? {} : { cert: readSetting('redis.tls.certFile', config.certFile) }),
    ...(config.keyFile === undefined ? {} : { key: readSetting('redis.tls.keyFile', config.keyFile) }),
    ...(config.servername === undefined ? {} : { servername: config.servername }),
  };
}

function readSetting(key: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new RedisSettingError(
      key,
      `${path} cannot be read (${reason}); mount the file there or fix ${key}`,
    );
  }
}
