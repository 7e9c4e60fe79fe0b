import type { AgentConfig, IdentityProviderConfig } from '@gatehouse/config';
import { createTestCa } from '@gatehouse/testkit/ca';
import { type OidcIssuer, startOidcIssuer } from '@gatehouse/testkit/oidc-issuer';
import { SignJWT, UnsecuredJWT } from 'jose';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type AuthResult, createAuthenticator, createIssuerFetch, hashToken } from './index.js';

/**
 * The authenticator against a real local issuer over TLS (testkit's CA, trusted through the
 * provider's caFile as the gateway trusts it): each attack a token can carry, key rotation, an
 * issuer that goes down, and tokens that are zero or two agents. Time moves by a clock offset, so
 * "an hour later" takes no hour; tokens carry real timestamps from the issuer.
 */

const SUB = 'system:serviceaccount:agents:oncall';
const identity = { user: 'u', groups: [], clusters: {} };
const agent = (id: string, extra: Partial<AgentConfig>): AgentConfig => ({
  id,
  owners: [],
  kubernetes: identity,
  ...extra,
});

describe('createAuthenticator with an identity provider', () => {
  let issuer: OidcIssuer;
  /** Another issuer nobody configured, with keys of its own. */
  let stranger: OidcIssuer;
  let client: ReturnType<typeof createIssuerFetch>;
  let offsetMs = 0;
  let lines: string[] = [];
  const clock = { now: () => Date.now() + offsetMs };
  const MINUTE = 60_000;

  const provider = (): IdentityProviderConfig => ({
    name: 'eks-prod',
    issuer: issuer.issuer,
    audiences: ['gatehouse'],
    algorithms: ['RS256', 'ES256', 'PS256'],
    clockSkewMs: 30_000,
    keys: { refreshMs: 10 * MINUTE, cooldownMs: 30_000, maxStaleMs: 60 * MINUTE },
  });
  const agents = [
    agent('agent-oncall', { match: { provider: 'eks-prod', claims: { sub: SUB } } }),
    agent('agent-ci', { match: { provider: 'eks-prod', claims: { sub: 'repo:org/app:*' } } }),
    agent('agent-ci-main', {
      match: { provider: 'eks-prod', claims: { sub: 'repo:org/app:ref:refs/heads/main' } },
    }),
    agent('agent-static', { tokenSha256: hashToken('gh_static-token') }),
  ];
  let authenticate: (authorization: string | undefined) => Promise<AuthResult<AgentConfig>>;
  const jwksFetches = () => issuer.requests.filter((request) => request.path === '/openid/v1/jwks').length;
  const token = (claims: Record<string, unknown> = {}, lifetimeSeconds?: number) =>
    issuer.sign({ sub: SUB, aud: 'gatehouse', ...claims }, { lifetimeSeconds });
  const refusalOf = async (bearer: string) => {
    const result = await authenticate(`Bearer ${bearer}`);
    if (result.ok) throw new Error(`admitted as ${result.agent.id}`);
    return result.message;
  };
  const admitted = async (bearer: string) => {
    const result = await authenticate(`Bearer ${bearer}`);
    if (!result.ok) throw new Error(`refused: ${result.message}`);
    return result;
  };

  beforeAll(async () => {
    issuer = await startOidcIssuer({ ca: createTestCa('oidc-issuer-ca') });
    stranger = await startOidcIssuer();
    client = createIssuerFetch(issuer.caPem);
  });
  afterAll(async () => {
    await client.close();
    await issuer.close();
    await stranger.close();
  });
  beforeEach(() => {
    offsetMs = 0;
    lines = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(line) });
    authenticate = createAuthenticator({
      agents,
      identityProviders: [provider()],
      fetchJson: () => client.fetchJson,
      clock,
      logger,
    }).authenticate;
  });
  afterEach(async () => {
    await issuer.start();
  });

  it('admits a valid token as the one agent it matches, naming provider and subject', async () => {
    const result = await admitted(await token());
    expect(result.agent.id).toBe('agent-oncall');
    expect(result.identity).toEqual({ method: 'oidc', provider: 'eks-prod', subject: SUB });
  });

  it('discovers the keys through .well-known/openid-configuration and keeps them', async () => {
    const before = issuer.requests.length;
    await admitted(await token());
    await admitted(await token());
    expect(issuer.requests.slice(before).map((request) => request.path)).toEqual([
      '/.well-known/openid-configuration',
      '/openid/v1/jwks',
    ]);
  });

  it('keeps static tokens working, also one that looks like a JWT', async () => {
    const jwtShaped = await token();
    const both = createAuthenticator({
      agents: [...agents, agent('agent-legacy', { tokenSha256: hashToken(jwtShaped) })],
      identityProviders: [provider()],
      fetchJson: () => client.fetchJson,
      clock,
      logger: pino({ level: 'silent' }),
    }).authenticate;
    expect(await both(`Bearer ${jwtShaped}`)).toMatchObject({ ok: true, agent: { id: 'agent-legacy' } });
    expect((await admitted('gh_static-token')).identity).toEqual({ method: 'static-token' });
  });

  it.each([
    ['expired beyond the 30 s skew', { exp: Math.floor(Date.now() / 1000) - 60 }, 'it has expired (exp)'],
    ['not yet valid', { nbf: Math.floor(Date.now() / 1000) + 120 }, 'it is not valid yet (nbf)'],
    ['issued in the future', { iat: Math.floor(Date.now() / 1000) + 120 }, 'issued in the future'],
    ['for another audience', { aud: 'sts.amazonaws.com' }, 'its audience (aud) is not one'],
    ['with no audience', { aud: undefined }, 'its audience (aud) is not one'],
    ['with no expiry', { exp: undefined }, 'it has no exp claim'],
    ['with no subject', { sub: undefined }, 'it has no sub claim'],
  ])('refuses a token %s', async (_, claims, message) => {
    expect(await refusalOf(await token(claims))).toContain(message);
  });

  it('accepts a token that expired within the clock skew', async () => {
    const result = await admitted(await token({ exp: Math.floor(Date.now() / 1000) - 10 }));
    expect(result.agent.id).toBe('agent-oncall');
  });

  it('refuses a token from an issuer nobody configured, and one claiming our issuer signed by another key', async () => {
    expect(await refusalOf(await stranger.sign({ sub: SUB, aud: 'gatehouse' }))).toContain(
      'its issuer (iss) is not a configured identity provider',
    );
    expect(
      await refusalOf(await stranger.sign({ sub: SUB, aud: 'gatehouse', iss: issuer.issuer })),
    ).toContain('no key of the provider');
  });

  it("refuses alg none, and HS256 keyed with the issuer's public key under its kid", async () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = { iss: issuer.issuer, sub: SUB, aud: 'gatehouse', iat: now, exp: now + 600 };
    const none = new UnsecuredJWT(claims).encode();
    const pem = await issuer.publicKeyPem();
    const hmac = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', kid: issuer.currentKid() })
      .sign(new TextEncoder().encode(pem));
    for (const forged of [none, hmac]) {
      expect(await refusalOf(forged)).toContain('its signing algorithm (alg) is not allowed');
    }
  });

  it('refuses a token whose signature was changed, and one whose claims were', async () => {
    const [head, body, signature] = (await token()).split('.') as [string, string, string];
    const flipped = `${signature.slice(0, -2)}${signature.endsWith('AA') ? 'BA' : 'AA'}`;
    expect(await refusalOf(`${head}.${body}.${flipped}`)).toContain('signature does not verify');
    const other = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(body, 'base64url').toString()), sub: 'x' }),
    );
    expect(await refusalOf(`${head}.${other.toString('base64url')}.${signature}`)).toContain(
      'signature does not verify',
    );
  });

  it('garbage key ids fetch the keys again at most once per cooldown', async () => {
    await admitted(await token());
    const before = jwksFetches();
    offsetMs = 31_000;
    for (let i = 0; i < 50; i++) {
      const garbage = await stranger.sign({ sub: SUB, aud: 'gatehouse', iss: issuer.issuer });
      const [, body, signature] = garbage.split('.');
      const header = Buffer.from(JSON.stringify({ alg: 'RS256', kid: `garbage-${i}` })).toString('base64url');
      expect(await refusalOf(`${header}.${body}.${signature}`)).toContain('no key of the provider');
    }
    expect(jwksFetches() - before).toBe(1);
  });

  it('follows a key rotation mid-run: the new kid is fetched, the retired key stops verifying', async () => {
    const oldToken = await token();
    await admitted(oldToken);
    await issuer.rotate({ retire: true });
    offsetMs = 31_000;
    const fresh = await admitted(await token());
    expect(fresh.agent.id).toBe('agent-oncall');
    // The refetched set no longer holds the old key.
    expect(await refusalOf(oldToken)).toContain('no key of the provider');
  });

  it('issuer down: cached keys serve until keys.maxStale, then tokens are refused; back up, admitted again', async () => {
    const longLived = await token({}, 3 * 3600);
    await admitted(longLived);
    await issuer.stop();
    offsetMs = 11 * MINUTE; // a refresh is due and fails in the background
    expect((await admitted(longLived)).agent.id).toBe('agent-oncall');
    offsetMs = 59 * MINUTE;
    expect((await admitted(longLived)).agent.id).toBe('agent-oncall');
    expect(lines.join('')).toContain('the cached keys stay in use until keys.maxStale');
    offsetMs = 61 * MINUTE;
    expect(await refusalOf(longLived)).toContain('are older than keys.maxStale and could not be refreshed');
    await issuer.start();
    offsetMs = 62 * MINUTE;
    expect((await admitted(longLived)).agent.id).toBe('agent-oncall');
  });

  it('an issuer down from the start: refused, with the reason, until it answers', async () => {
    await issuer.stop();
    expect(await refusalOf(await token())).toContain('could not be fetched yet');
  });

  it('refuses a token that matches two agents or none, and logs the subject and agents, never the token', async () => {
    const two = await token({ sub: 'repo:org/app:ref:refs/heads/main' });
    expect(await refusalOf(two)).toBe(
      'identity token from eks-prod for repo:org/app:ref:refs/heads/main matches 2 agents; one token must be one agent',
    );
    const none = await token({ sub: 'system:serviceaccount:agents:other' });
    expect(await refusalOf(none)).toContain('matches no agent');
    expect((await admitted(await token({ sub: 'repo:org/app:pull_request' }))).agent.id).toBe('agent-ci');
    const logged = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logged).toContainEqual(
      expect.objectContaining({
        provider: 'eks-prod',
        subject: 'repo:org/app:ref:refs/heads/main',
        agents: ['agent-ci', 'agent-ci-main'],
        msg: expect.stringContaining('matches several agents'),
      }),
    );
    for (const secret of [two, none, two.split('.')[2], none.split('.')[2]]) {
      expect(lines.join('')).not.toContain(secret);
    }
  });
});
