import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.js';
import { impersonatedNames, runAsOn } from './identity.js';
import { parseConfig } from './load.js';

const HASH = (n: number) => String(n).repeat(64);
const clusters = [
  { name: 'prod', type: 'kubeconfig', kubeconfig: '/k/prod' },
  { name: 'staging', type: 'kubeconfig', kubeconfig: '/k/staging' },
];

const parse = (document: object) => parseConfig(document, { baseDir: '/etc/gatehouse', env: {} });

function issues(document: object): readonly string[] {
  try {
    parse(document);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues;
  }
  throw new Error('expected a ConfigError, got a valid config');
}

describe('agent Kubernetes identities', () => {
  it('defaults each agent to a user of its own and the shared agents group, impersonation on', () => {
    const config = parse({ clusters, agents: [{ id: 'agent-oncall', tokenSha256: HASH(1) }] });
    const [agent] = config.agents;
    expect(config.clusters.map((cluster) => cluster.impersonate)).toEqual([true, true]);
    expect(agent!.kubernetes).toEqual({
      user: 'gatehouse:agent:agent-oncall',
      groups: ['gatehouse:agents'],
      clusters: {},
    });
    expect(runAsOn(agent!, config.clusters[0]!)).toEqual({
      user: 'gatehouse:agent:agent-oncall',
      groups: ['gatehouse:agents'],
    });
  });

  it('takes a configured identity, and per-cluster overrides merged with it', () => {
    const config = parse({
      clusters,
      agents: [
        {
          id: 'deployer',
          tokenSha256: HASH(1),
          kubernetes: {
            user: 'ci:deployer',
            groups: ['ci:readers', 'ci:deployers'],
            clusters: { staging: { groups: ['ci:staging-admins'] } },
          },
        },
      ],
    });
    const [agent] = config.agents;
    const [prod, staging] = config.clusters;
    expect(runAsOn(agent!, prod!)).toEqual({ user: 'ci:deployer', groups: ['ci:readers', 'ci:deployers'] });
    expect(runAsOn(agent!, staging!)).toEqual({ user: 'ci:deployer', groups: ['ci:staging-admins'] });
  });

  it('runs as nobody in particular only where a cluster turns impersonation off', () => {
    const config = parse({
      clusters: [clusters[0], { ...clusters[1], impersonate: false }],
      agents: [{ id: 'a', tokenSha256: HASH(1) }],
    });
    const [agent] = config.agents;
    expect(runAsOn(agent!, config.clusters[0]!)).toBeDefined();
    expect(runAsOn(agent!, config.clusters[1]!)).toBeUndefined();
  });

  it('lists exactly the users and groups to grant impersonate on, skipping clusters without it', () => {
    const config = parse({
      clusters: [clusters[0], { ...clusters[1], impersonate: false }],
      agents: [
        { id: 'a', tokenSha256: HASH(1) },
        {
          id: 'b',
          tokenSha256: HASH(2),
          kubernetes: { groups: ['team:b', 'gatehouse:agents'], clusters: { prod: { user: 'team:b-prod' } } },
        },
      ],
    });
    expect(impersonatedNames(config)).toEqual({
      users: ['gatehouse:agent:a', 'team:b-prod'],
      groups: ['gatehouse:agents', 'team:b'],
    });
  });

  it('names unknown identity fields, at the agent and per cluster', () => {
    expect(
      issues({
        clusters,
        agents: [
          {
            id: 'a',
            tokenSha256: HASH(1),
            kubernetes: { username: 'x', group: ['y'], clusters: { prod: { uid: '1' } } },
          },
        ],
      }),
    ).toEqual(
      expect.arrayContaining([
        'agents[0].kubernetes: unknown fields username, group',
        'agents[0].kubernetes.clusters.prod: unknown field uid',
      ]),
    );
    expect(issues({ clusters: [{ ...clusters[0], impersonation: false }] })).toEqual([
      'clusters[0]: unknown field impersonation',
    ]);
  });

  it('refuses system: names, which would reach past RBAC', () => {
    const found = issues({
      clusters,
      agents: [
        { id: 'a', tokenSha256: HASH(1), kubernetes: { groups: ['gatehouse:agents', 'system:masters'] } },
        { id: 'b', tokenSha256: HASH(2), kubernetes: { user: 'System:Admin' } },
      ],
    });
    expect(found).toHaveLength(2);
    expect(found[0]).toMatch(/^agents\[0\]\.kubernetes\.groups\[1\]: "system:masters" is reserved: /);
    expect(found[0]).toContain('system:masters bypasses RBAC entirely');
    expect(found[1]).toMatch(/^agents\[1\]\.kubernetes\.user: "System:Admin" is reserved: /);
  });

  it('refuses names that cannot travel as one header value', () => {
    const found = issues({
      clusters,
      agents: [
        { id: 'a', tokenSha256: HASH(1), kubernetes: { user: '', groups: ['a,b', 'two words', 'ok'] } },
      ],
    });
    const rule = 'printable ASCII without spaces or commas, e.g. gatehouse:agent:agent-oncall';
    expect(found).toEqual([
      `agents[0].kubernetes.user: ${rule}`,
      `agents[0].kubernetes.groups[0]: ${rule}`,
      `agents[0].kubernetes.groups[1]: ${rule}`,
    ]);
  });

  it('refuses an override for an unknown cluster or one without impersonation', () => {
    expect(
      issues({
        clusters: [clusters[0], { ...clusters[1], impersonate: false }],
        agents: [
          {
            id: 'a',
            tokenSha256: HASH(1),
            kubernetes: { clusters: { prd: { user: 'x:y' }, staging: { user: 'x:z' } } },
          },
        ],
      }),
    ).toEqual([
      'agents[0].kubernetes.clusters.prd: no cluster is named prd; known clusters: prod, staging',
      'agents[0].kubernetes.clusters.staging: cluster staging has impersonate: false, so this identity would never be used; remove it or turn impersonation on',
    ]);
  });
});
