import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** The part of an agent's config the gateway authenticates against. */
export interface AgentCredential {
  readonly id: string;
  /** SHA-256 hex of the agent's bearer token; the token itself is never stored. */
  readonly tokenSha256: string;
}

export type Authenticator<A extends AgentCredential> = (authorization: string | undefined) => A | undefined;

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A fresh agent token: 32 random bytes, base64url, prefixed so leaked tokens are recognisable. */
export function generateToken(): string {
  return `gh_${randomBytes(32).toString('base64url')}`;
}

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

/**
 * Builds the bearer-token check. The presented token is hashed and compared with every
 * agent's hash using timingSafeEqual, without stopping at a match, so neither which
 * agent matched nor how many bytes matched shows in the response time.
 */
export function createAuthenticator<A extends AgentCredential>(agents: readonly A[]): Authenticator<A> {
  const known = agents.map((agent) => ({
    agent,
    digest: Buffer.from(agent.tokenSha256.toLowerCase(), 'hex'),
  }));
  return (authorization) => {
    const token = authorization ? BEARER.exec(authorization)?.[1] : undefined;
    // A missing token is hashed too, so the work done does not reveal whether one was sent.
    const digest = createHash('sha256')
      .update(token ?? '', 'utf8')
      .digest();
    let found: A | undefined;
    for (const { agent, digest: expected } of known) {
      const equal = expected.length === digest.length && timingSafeEqual(expected, digest);
      if (equal && token !== undefined) found = agent;
    }
    return found;
  };
}
