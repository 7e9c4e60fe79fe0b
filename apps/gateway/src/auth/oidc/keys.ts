import type { IdentityProviderConfig } from '@gatehouse/config';
import type { Clock } from '@gatehouse/lifecycle';
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import type { Logger } from 'pino';
import { GatewayError, GatewayErrorCode } from '../../errors.js';
import type { FetchJson } from './fetch.js';

/**
 * One identity provider's signing keys, fetched and cached here rather than by jose's
 * createRemoteJWKSet. jose (v6.2.18, src/jwks/remote.ts) selects keys well and we use that part
 * (createLocalJWKSet: kid, alg, use, key_ops), but its cache cannot give "keep the last keys for a
 * bounded time while the issuer is down, then fail closed":
 *   - once the keys are older than `cacheMaxAge`, every verification awaits a fetch and fails
 *     when it fails — stale keys are never served; `cacheMaxAge: Infinity` serves them forever;
 *   - `cooldownDuration` runs from the last *successful* fetch, so with the issuer down every
 *     token naming an unknown `kid` (and every token once the cache is stale) starts a new fetch:
 *     the garbage-kid hammering the rate limit is meant to stop.
 * Here every fetch *attempt* starts the cooldown, a due refresh happens in the background while
 * the current keys keep serving, and keys older than `maxStale` are never used.
 */
export interface IssuerKeys {
  /** jose's key lookup over the cached set; fetches first when there are no usable keys. */
  readonly getKey: JWTVerifyGetKey;
  /** Fetches now unless the cooldown forbids it (start-up warm-up); never rejects. */
  warm(): Promise<void>;
}

export interface IssuerKeysOptions {
  readonly provider: IdentityProviderConfig;
  readonly fetchJson: FetchJson;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** Thrown by getKey when no keys young enough to trust are at hand: the token is refused. */
export class IssuerKeysUnavailable extends GatewayError {
  constructor(message: string) {
    super(GatewayErrorCode.IdentityProviderUnavailable, message);
  }
}

type LocalKeys = ReturnType<typeof createLocalJWKSet>;

export function createIssuerKeys({ provider, fetchJson, clock, logger }: IssuerKeysOptions): IssuerKeys {
  const { refreshMs, cooldownMs, maxStaleMs } = provider.keys;
  let keys: LocalKeys | undefined;
  let fetchedAt: number | undefined;
  let attemptedAt: number | undefined;
  let lastError: string | undefined;
  let pending: Promise<void> | undefined;

  const usable = () => keys !== undefined && fetchedAt !== undefined && clock.now() - fetchedAt <= maxStaleMs;
  const mayFetch = () => attemptedAt === undefined || clock.now() - attemptedAt >= cooldownMs;

  const discoverJwksUri = async (): Promise<string> => {
    if (provider.jwksUri) return provider.jwksUri;
    // OpenID Connect Discovery 1.0 §4: a trailing slash of the issuer is removed before appending.
    const url = `${provider.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    const document = ((await fetchJson(url)) ?? {}) as { issuer?: unknown; jwks_uri?: unknown };
    // §4.3: the document's issuer must be exactly the one asked for, or its keys are someone else's.
    if (document.issuer !== provider.issuer) {
      throw new GatewayError(
        GatewayErrorCode.IdentityProviderUnavailable,
        `${url} names issuer ${JSON.stringify(document.issuer)}, not ${provider.issuer}; fix identityProviders[${provider.name}].issuer`,
      );
    }
    if (typeof document.jwks_uri !== 'string' || !document.jwks_uri.startsWith('https://')) {
      throw new GatewayError(
        GatewayErrorCode.IdentityProviderUnavailable,
        `${url} has no https jwks_uri; set identityProviders[${provider.name}].jwksUri`,
      );
    }
    return document.jwks_uri;
  };

  const fetchKeys = (): Promise<void> => {
    pending ??= (async () => {
      attemptedAt = clock.now();
      try {
        const jwksUri = await discoverJwksUri();
        const set = (await fetchJson(jwksUri)) as JSONWebKeySet;
        // createLocalJWKSet checks the shape; a set that is not one keeps the previous keys.
        keys = createLocalJWKSet(set);
        fetchedAt = clock.now();
        lastError = undefined;
        logger.info(
          { provider: provider.name, jwksUri, keys: set.keys.length, kids: set.keys.map((key) => key.kid) },
          'identity provider keys fetched',
        );
      } catch (error) {
        lastError = (error as Error).message;
        logger.warn(
          {
            provider: provider.name,
            error: lastError,
            keysAgeMs: fetchedAt === undefined ? null : clock.now() - fetchedAt,
            maxStaleMs,
          },
          usable()
            ? 'identity provider keys could not be refreshed; the cached keys stay in use until keys.maxStale'
            : 'identity provider keys could not be fetched; its tokens are refused until they can',
        );
      } finally {
        pending = undefined;
      }
    })();
    return pending;
  };

  const unavailable = () =>
    new IssuerKeysUnavailable(
      fetchedAt === undefined
        ? `the signing keys of identity provider ${provider.name} could not be fetched yet${lastError ? ` (${lastError})` : ''}`
        : `the signing keys of identity provider ${provider.name} are older than keys.maxStale and could not be refreshed${lastError ? ` (${lastError})` : ''}`,
    );

  const getKey: JWTVerifyGetKey = async (header, token) => {
    if (!usable()) {
      if (pending || mayFetch()) await fetchKeys();
      if (!usable()) throw unavailable();
    } else if (clock.now() - (fetchedAt ?? 0) >= refreshMs && mayFetch()) {
      // Due for a refresh: the current keys answer this token; the new ones the next.
      void fetchKeys();
    }
    try {
      return await (keys as LocalKeys)(header, token);
    } catch (error) {
      // A key id we do not know may be a rotation: fetch again, at most once per cooldown.
      if (!(error instanceof errors.JWKSNoMatchingKey) || !(pending || mayFetch())) throw error;
      await fetchKeys();
      if (!usable()) throw unavailable();
      return (keys as LocalKeys)(header, token);
    }
  };

  return {
    getKey,
    warm: async () => {
      if (mayFetch()) await fetchKeys();
    },
  };
}
