import type { IdentityProviderConfig } from '@gatehouse/config';
import type { Clock } from '@gatehouse/lifecycle';
import { decodeJwt, errors, type JWTPayload, jwtVerify } from 'jose';
import type { IssuerKeys } from './keys.js';
import { IssuerKeysUnavailable } from './keys.js';

/** Why an identity token was refused; the words go into the 401 and the log, never the token. */
export type TokenRefusal =
  | 'malformed'
  | 'unknown-issuer'
  | 'algorithm-not-allowed'
  | 'unknown-key'
  | 'bad-signature'
  | 'expired'
  | 'not-yet-valid'
  | 'issued-in-future'
  | 'audience-not-accepted'
  | 'claims-missing'
  | 'keys-unavailable';

export type TokenVerification =
  | { readonly ok: true; readonly provider: string; readonly subject: string; readonly claims: JWTPayload }
  | {
      readonly ok: false;
      readonly refusal: TokenRefusal;
      readonly provider?: string;
      readonly detail: string;
    };

export type TokenVerifier = (token: string) => Promise<TokenVerification>;

export interface VerifiableProvider {
  readonly config: IdentityProviderConfig;
  readonly keys: IssuerKeys;
}

/** Three base64url parts: the compact JWS form. Anything else is not an identity token. */
export const looksLikeJwt = (token: string) => /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);

/**
 * Verifies identity tokens with jose's jwtVerify: the provider is chosen by the token's `iss`
 * (exact), then the signature (allow-listed asymmetric algorithms only: `none` and HMAC never
 * reach a key), `iss`, `aud`, `exp` (required), `nbf` and `iat` within the provider's clock skew.
 */
export function createTokenVerifier(providers: readonly VerifiableProvider[], clock: Clock): TokenVerifier {
  const byIssuer = new Map(providers.map((provider) => [provider.config.issuer, provider]));
  return async (token) => {
    let unverified: JWTPayload;
    try {
      unverified = decodeJwt(token);
    } catch {
      return { ok: false, refusal: 'malformed', detail: 'not a JWT' };
    }
    const provider = typeof unverified.iss === 'string' ? byIssuer.get(unverified.iss) : undefined;
    if (!provider) {
      return {
        ok: false,
        refusal: 'unknown-issuer',
        detail: 'its issuer (iss) is not a configured identity provider',
      };
    }
    const { config } = provider;
    const skewSeconds = config.clockSkewMs / 1000;
    const refused = (refusal: TokenRefusal, detail: string): TokenVerification => ({
      ok: false,
      refusal,
      provider: config.name,
      detail,
    });
    try {
      const { payload } = await jwtVerify(token, provider.keys.getKey, {
        issuer: config.issuer,
        audience: [...config.audiences],
        algorithms: [...config.algorithms],
        clockTolerance: skewSeconds,
        currentDate: new Date(clock.now()),
        requiredClaims: ['exp', 'sub'],
      });
      // jose checks iat only with maxTokenAge; a token from the future says the issuer's clock is wrong.
      if (typeof payload.iat === 'number' && payload.iat > clock.now() / 1000 + skewSeconds) {
        return refused('issued-in-future', 'it was issued in the future (iat), beyond the clock skew');
      }
      if (typeof payload.sub !== 'string' || payload.sub === '') {
        return refused('claims-missing', 'it has no subject (sub)');
      }
      return { ok: true, provider: config.name, subject: payload.sub, claims: payload };
    } catch (error) {
      return refusalOf(error, refused);
    }
  };
}

function refusalOf(
  error: unknown,
  refused: (refusal: TokenRefusal, detail: string) => TokenVerification,
): TokenVerification {
  if (error instanceof IssuerKeysUnavailable) return refused('keys-unavailable', error.message);
  if (error instanceof errors.JWTExpired) return refused('expired', 'it has expired (exp)');
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf') return refused('not-yet-valid', 'it is not valid yet (nbf)');
    if (error.claim === 'aud')
      return refused('audience-not-accepted', 'its audience (aud) is not one the provider accepts');
    if (error.reason === 'missing') return refused('claims-missing', `it has no ${error.claim} claim`);
    return refused('malformed', `its ${error.claim} claim is not valid`);
  }
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) {
    return refused('algorithm-not-allowed', 'its signing algorithm (alg) is not allowed for this provider');
  }
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
    return refused('unknown-key', "no key of the provider's key set matches its key id (kid)");
  }
  if (error instanceof errors.JWSSignatureVerificationFailed)
    return refused('bad-signature', 'its signature does not verify');
  return refused('malformed', (error as Error).message);
}
