import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.js';
import { parseConfig } from './load.js';

const ISSUER = 'https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE';
const base = {
  clusters: [{ name: 'local', type: 'kubeconfig', kubeconfig: 'kube/config' }],
  identityProviders: [{ name: 'eks-prod', issuer: ISSUER, audiences: ['gatehouse'] }],
  agents: [
    {
      id: 'agent-oncall',
      match: { provider: 'eks-prod', claims: { sub: 'system:serviceaccount:agents:oncall' } },
    },
  ],
};

const parse = (document: unknown) => parseConfig(document, { baseDir: '/etc/gatehouse', env: {} });

function issuesOf(document: unknown): readonly string[] {
  try {
    parse(document);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues;
  }
  throw new Error('expected a ConfigError, got a valid config');
}

const withProvider = (change: Record<string, unknown>) => ({
  ...base,
  identityProviders: [{ ...base.identityProviders[0], ...change }],
});
const withAgent = (change: Record<string, unknown>) => ({
  ...base,
  agents: [{ ...base.agents[0], ...change }],
});

describe('identityProviders and agents[].match', () => {
  it('fills the defaults: asymmetric algorithms, 30 s skew, keys refreshed every 10 min, stale after 1 h', () => {
    const config = parse(withProvider({ caFile: 'issuer-ca.pem' }));
    expect(config.identityProviders).toEqual([
      {
        name: 'eks-prod',
        issuer: ISSUER,
        audiences: ['gatehouse'],
        jwksUri: undefined,
        algorithms: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512'],
        caFile: '/etc/gatehouse/issuer-ca.pem',
        clockSkewMs: 30_000,
        keys: { refreshMs: 600_000, cooldownMs: 30_000, maxStaleMs: 3_600_000 },
      },
    ]);
    expect(config.agents[0]).toMatchObject({
      id: 'agent-oncall',
      match: { provider: 'eks-prod', claims: { sub: 'system:serviceaccount:agents:oncall' } },
      kubernetes: { user: 'gatehouse:agent:agent-oncall' },
    });
    expect(config.agents[0]?.tokenSha256).toBeUndefined();
  });

  it('keeps static-token agents beside them, and an agent may have both', () => {
    const config = parse({
      ...base,
      agents: [...base.agents, { id: 'agent-ci', tokenSha256: 'a'.repeat(64) }],
    });
    expect(config.agents.map((agent) => agent.id)).toEqual(['agent-oncall', 'agent-ci']);
    expect(parse(withAgent({ tokenSha256: 'b'.repeat(64) })).agents[0]?.tokenSha256).toBe('b'.repeat(64));
  });

  it.each([
    [{ algorithms: ['none'] }, 'identityProviders[0].algorithms[0]: "none" is not accepted'],
    [{ algorithms: ['RS256', 'HS256'] }, 'identityProviders[0].algorithms[1]: "HS256" is not accepted'],
    [{ issuer: 'http://issuer.example.com' }, 'identityProviders[0].issuer: an https:// URL such as'],
    [{ jwksUri: 'http://issuer.example.com/keys' }, 'identityProviders[0].jwksUri: an https:// URL'],
    [{ audiences: [] }, 'identityProviders[0].audiences: at least one audience, e.g. [gatehouse]'],
    [{ keys: { maxStale: '0s' } }, 'identityProviders[0].keys.maxStale: must be longer than 0s'],
    [{ keys: { refresh: '2h' } }, 'identityProviders[0].keys.refresh: must not exceed keys.maxStale'],
    [{ clientSecret: 'x' }, 'identityProviders[0]: unknown field clientSecret'],
  ])('refuses provider %j, naming the field', (change, message) => {
    expect(issuesOf(withProvider(change)).join('\n')).toContain(message);
  });

  it.each([
    [{ match: undefined }, 'agents[0]: agent-oncall has neither tokenSha256'],
    [
      { match: { provider: 'gke', claims: { sub: 'x' } } },
      'agents[0].match.provider: no identity provider is named gke; known: eks-prod',
    ],
    [
      { match: { provider: 'eks-prod', claims: { aud: 'gatehouse' } } },
      'agents[0].match.claims: claims must name sub',
    ],
    [
      { match: { provider: 'eks-prod', claims: { sub: '*' } } },
      'agents[0].match.claims.sub: "*" matches every token',
    ],
  ])('refuses agent %j, with an example', (change, message) => {
    expect(issuesOf(withAgent(change)).join('\n')).toContain(message);
  });

  it('refuses two providers for one issuer, and two agents with the same match', () => {
    expect(
      issuesOf({
        ...base,
        identityProviders: [...base.identityProviders, { name: 'eks-2', issuer: ISSUER, audiences: ['x'] }],
      }).join('\n'),
    ).toContain(`identityProviders[1].issuer: ${ISSUER} is configured twice`);
    expect(
      issuesOf({ ...base, agents: [...base.agents, { ...base.agents[0], id: 'agent-twin' }] }).join('\n'),
    ).toContain("agents[1].match: the same as agent agent-oncall's");
  });
});
