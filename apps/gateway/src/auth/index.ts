import type { AgentMatch, IdentityProviderConfig } from '@gatehouse/config';
import type { Clock } from '@gatehouse/lifecycle';
import type { Logger } from 'pino';
import type { FetchJson } from './oidc/fetch.js';
import { createIssuerKeys } from './oidc/keys.js';
import { createAgentMatcher } from './oidc/match.js';
import { createTokenVerifier, looksLikeJwt } from './oidc/verify.js';
import { bearerToken, createStaticTokenCheck } from './static-token.js';

export { createIssuerFetch, type FetchJson } from './oidc/fetch.js';
export { bearerToken, createStaticTokenCheck, generateToken, hashToken } from './static-token.js';

/** The part of an agent's config the gateway authenticates against. */
export interface AgentCredential {
  readonly id: string;
  /** SHA-256 hex of a static bearer token; absent: the agent comes only with identity tokens. */
  readonly tokenSha256?: string | undefined;
  readonly match?: AgentMatch | undefined;
}

/** How an agent was identified (recorded in the audit; never the token). */
export type AgentIdentity =
  | { readonly method: 'static-token' }
  | { readonly method: 'oidc'; readonly provider: string; readonly subject: string };

export type AuthResult<A> =
  | { readonly ok: true; readonly agent: A; readonly identity: AgentIdentity }
  /** `message` is the 401's: what was wrong and the fix, nothing from the token but its subject. */
  | { readonly ok: false; readonly message: string };

export type Authenticator<A extends AgentCredential> = (
  authorization: string | undefined,
) => Promise<AuthResult<A>>;

export interface AuthenticatorOptions<A extends AgentCredential> {
  readonly agents: readonly A[];
  readonly identityProviders?: readonly IdentityProviderConfig[];
  /** One fetcher per provider name (each trusts its provider's caFile). */
  readonly fetchJson?: (provider: IdentityProviderConfig) => FetchJson;
  readonly clock: Clock;
  readonly logger: Logger;
}

export interface GatewayAuthenticator<A extends AgentCredential> {
  readonly authenticate: Authenticator<A>;
  /** Fetches every provider's keys once (start-up), so the first agent does not wait; never rejects. */
  warm(): Promise<void>;
}

const UNKNOWN_TOKEN =
  'missing or unknown bearer token: this gateway admits agents by the token in their kubeconfig ' +
  '(print one with `gatehouse-gateway kubeconfig --agent <id> --cluster <name> --token -`, ' +
  'or `--token-file <path>` for an identity token)';

/**
 * Static tokens first (constant time over every agent's hash), so a static token that happens to
 * look like a JWT is still static; then, for a JWT, the identity providers. A verified identity
 * token must match exactly one agent: none or several is a refusal, logged with the provider,
 * subject and the agents it matched — never the token.
 */
export function createAuthenticator<A extends AgentCredential>(
  options: AuthenticatorOptions<A>,
): GatewayAuthenticator<A> {
  const staticCheck = createStaticTokenCheck(options.agents);
  const { fetchJson } = options;
  const providers = (options.identityProviders ?? []).map((config) => {
    if (!fetchJson) throw new TypeError('createAuthenticator: identity providers need fetchJson');
    const keys = createIssuerKeys({
      provider: config,
      fetchJson: fetchJson(config),
      clock: options.clock,
      logger: options.logger,
    });
    return { config, keys };
  });
  const verify = providers.length > 0 ? createTokenVerifier(providers, options.clock) : undefined;
  const matchAgents = createAgentMatcher(options.agents);
  const { logger } = options;

  const authenticate: Authenticator<A> = async (authorization) => {
    const token = bearerToken(authorization);
    const agent = staticCheck(token);
    if (agent) return { ok: true, agent, identity: { method: 'static-token' } };
    if (token === undefined || !verify || !looksLikeJwt(token)) return { ok: false, message: UNKNOWN_TOKEN };
    const verified = await verify(token);
    if (!verified.ok) {
      logger.info(
        { provider: verified.provider, refusal: verified.refusal, detail: verified.detail },
        'identity token refused',
      );
      return { ok: false, message: `identity token refused: ${verified.detail}` };
    }
    const { provider, subject } = verified;
    const matched = matchAgents(provider, verified.claims);
    if (matched.length !== 1) {
      logger.warn(
        { provider, subject, agents: matched.map((candidate) => candidate.id) },
        matched.length === 0
          ? 'identity token matches no agent: refused (add an agents[].match for it)'
          : 'identity token matches several agents: refused (make their agents[].match claims exclusive)',
      );
      return {
        ok: false,
        message:
          matched.length === 0
            ? `identity token from ${provider} for ${subject} matches no agent of this gateway`
            : `identity token from ${provider} for ${subject} matches ${matched.length} agents; one token must be one agent`,
      };
    }
    return { ok: true, agent: matched[0] as A, identity: { method: 'oidc', provider, subject } };
  };

  return {
    authenticate,
    warm: async () => {
      await Promise.all(providers.map((provider) => provider.keys.warm()));
    },
  };
}
