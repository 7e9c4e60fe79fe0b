import { createHash, hash, randomBytes, timingSafeEqual } from 'node:crypto';

/** The part of an agent's config a static bearer token is checked against. */
export interface StaticTokenAgent {
  readonly id: string;
  /** SHA-256 hex of the agent's bearer token (the token itself is never stored); absent: no static token. */
  readonly tokenSha256?: string | undefined;
}

/** Finds the agent whose static token this is; `undefined` for a missing or unknown token. */
export type StaticTokenCheck<A extends StaticTokenAgent> = (token: string | undefined) => A | undefined;

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A fresh agent token: 32 random bytes, base64url, prefixed so leaked tokens are recognisable. */
export function generateToken(): string {
  return `gh_${randomBytes(32).toString('base64url')}`;
}

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

/** The token of an `Authorization: Bearer <token>` header; anything else has none. */
export function bearerToken(authorization: string | undefined): string | undefined {
  return authorization ? BEARER.exec(authorization)?.[1] : undefined;
}

/**
 * Builds the static-token check. The presented token is hashed and compared with every
 * static-token agent's hash using timingSafeEqual, without stopping at a match, so neither which
 * agent matched nor how many bytes matched shows in the response time.
 */
export function createStaticTokenCheck<A extends StaticTokenAgent>(
  agents: readonly A[],
): StaticTokenCheck<A> {
  const known = agents.flatMap((agent) =>
    agent.tokenSha256 ? [{ agent, digest: Buffer.from(agent.tokenSha256.toLowerCase(), 'hex') }] : [],
  );
  return (token) => {
    // A missing token is hashed too, so the work done does not reveal whether one was sent.
    // The one-shot hash (UTF-8 for a string): no Hash object per request.
    const digest = hash('sha256', token ?? '', 'buffer');
    let found: A | undefined;
    for (const { agent, digest: expected } of known) {
      const equal = expected.length === digest.length && timingSafeEqual(expected, digest);
      if (equal && token !== undefined) found = agent;
    }
    return found;
  };
}
