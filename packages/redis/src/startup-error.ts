import type { RedisConfig } from '@gatehouse/config';
import {
  RedisAuthError,
  type RedisError,
  RedisTlsError,
  RedisUnknownMasterError,
  RedisUnreachableError,
} from './errors.js';

// A sentinel's answer to SENTINEL sentinels/get-master-addr-by-name for a name it does not monitor
// (sentinel.c), as ioredis passes it on, or the nil reply older sentinels give.
const UNKNOWN_MASTER = /ERR No such master with that name|successfully, but got an invalid reply: null/;
// Redis's replies to a refused AUTH or HELLO (acl.c, server.c).
const AUTH_REFUSED = /^(WRONGPASS|NOAUTH|NOPERM)|^ERR (AUTH|invalid password|Client sent AUTH)/;
// The same replies from a sentinel, as ioredis's SentinelConnector wraps them ("... Last error: NOAUTH ...",
// "failed to connect to sentinel h:p because WRONGPASS ...").
const SENTINEL_AUTH_REFUSED = /(Last error: |because )(WRONGPASS|NOAUTH|NOPERM)/;
// Node's TLS errors: certificate checks (X509 codes) and OpenSSL's handshake failures.
const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_SSL|ERR_TLS|HOSTNAME_MISMATCH/;

/**
 * The start-up failure, from what the client saw (error events, then the rejection), named by its
 * fix: credentials, TLS, the Sentinel master name, or the address itself.
 */
export function startupError(
  config: Omit<RedisConfig, 'keyPrefix'>,
  where: string,
  seen: readonly Error[],
): RedisError {
  const sentinelAuth = seen.find((error) => SENTINEL_AUTH_REFUSED.test(error.message));
  if (sentinelAuth) return new RedisAuthError(where, sentinelAuth, 'sentinel');
  const auth = seen.find((error) => AUTH_REFUSED.test(error.message));
  if (auth) return new RedisAuthError(where, auth);
  const tls = seen.find((error) => TLS_CODES.test(String((error as NodeJS.ErrnoException).code ?? '')));
  if (tls) return new RedisTlsError(where, tls);
  const sentinel = config.sentinel;
  if (sentinel) {
    const unknown = seen.find((error) => UNKNOWN_MASTER.test(error.message));
    if (unknown) return new RedisUnknownMasterError(sentinel.name, where.replace(/^.* via /, ''));
    return new RedisUnreachableError(
      where,
      sentinelCause(seen),
      'start the sentinels or fix redis.sentinels in gatehouse.yaml (host:port of each; set redis.sentinelTls when they take TLS only)',
    );
  }
  return new RedisUnreachableError(where, seen[0]);
}

/** Each sentinel's own failure ("failed to connect to sentinel h:p because ..."), not ioredis's summary. */
function sentinelCause(seen: readonly Error[]): Error {
  const each = seen.filter((error) => error.message.startsWith('failed to connect to sentinel'));
  return each.length > 0 ? new Error(each.map((error) => error.message).join('; ')) : seen[0]!;
}
