import { describe, expect, it } from 'vitest';
import { parseAction } from '../parse/index.js';
import type { Decision, KubeRequest, PolicyContext } from '../types.js';
import { compilePolicy, DEFAULT_RULE, UNCLASSIFIED_RULE } from './index.js';

function ctx(
  method: string,
  url: string,
  extra: Partial<KubeRequest> & { agent?: string; cluster?: string } = {},
): PolicyContext {
  const [path = '', query = ''] = url.split('?');
  const action = parseAction({ method, path, query, headers: extra.headers ?? {}, body: extra.body });
  return { cluster: extra.cluster ?? 'prod', agent: extra.agent ?? 'agent-oncall', action };
}

const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const require1 = { group: 'sre-oncall', approvals: 1 };

/** The config sketch's rules (DESIGN.md). */
const seed = compilePolicy({
  default: 'allow',
  rules: [
    {
      name: 'prod-delete',
      match: { verbs: ['delete', 'deletecollection'], namespaces: ['prod-*'] },
      require: require1,
    },
    {
      name: 'no-namespace-delete',
      match: { verbs: ['delete'], resources: ['namespaces'] },
      require: { group: 'sre-oncall', approvals: 2 },
    },
    {
      name: 'prod-exec',
      match: { verbs: ['exec', 'attach', 'portforward'], namespaces: ['prod-*'] },
      require: require1,
    },
    { name: 'scale-to-zero', match: { scaleToZero: true }, require: require1 },
  ],
});

describe('decide: the seed rules', () => {
  it.each<[string, PolicyContext, Partial<Decision>]>([
    [
      'delete in prod',
      ctx('DELETE', '/api/v1/namespaces/prod-api/pods/web-1'),
      { effect: 'require', rule: 'prod-delete' },
    ],
    [
      'delete --all in prod',
      ctx('DELETE', '/api/v1/namespaces/prod-api/pods'),
      { effect: 'require', rule: 'prod-delete' },
    ],
    [
      'delete in staging',
      ctx('DELETE', '/api/v1/namespaces/staging/pods/web-1'),
      { effect: 'allow', rule: null },
    ],
    [
      'exec in prod',
      ctx('POST', '/api/v1/namespaces/prod-api/pods/web-1/exec?command=sh'),
      { effect: 'require', rule: 'prod-exec' },
    ],
    ['exec in dev', ctx('POST', '/api/v1/namespaces/dev/pods/web-1/exec?command=sh'), { effect: 'allow' }],
    ['get in prod', ctx('GET', '/api/v1/namespaces/prod-api/pods/web-1'), { effect: 'allow' }],
    [
      'scale to zero anywhere',
      ctx('PATCH', '/apis/apps/v1/namespaces/dev/deployments/web/scale', {
        headers: { 'content-type': 'application/merge-patch+json' },
        body: json({ spec: { replicas: 0 } }),
      }),
      { effect: 'require', rule: 'scale-to-zero' },
    ],
    [
      'scale to three',
      ctx('PATCH', '/apis/apps/v1/namespaces/dev/deployments/web/scale', {
        headers: { 'content-type': 'application/merge-patch+json' },
        body: json({ spec: { replicas: 3 } }),
      }),
      { effect: 'allow' },
    ],
  ])('%s', (_, context, expected) => {
    expect(seed.decide(context)).toMatchObject(expected);
  });
});

describe('decide: how rules combine (most restrictive wins)', () => {
  it('the require asking for more approvals wins, whatever the order', () => {
    // A namespace named prod-x matches both prod-delete (1) and no-namespace-delete (2).
    const decision = seed.decide(ctx('DELETE', '/api/v1/namespaces/prod-x'));
    expect(decision).toEqual({
      effect: 'require',
      rule: 'no-namespace-delete',
      group: 'sre-oncall',
      approvals: 2,
      reason: 'rule no-namespace-delete needs 2 approvals from sre-oncall',
    });
  });

  it('on equal approvals the earlier rule is reported', () => {
    const policy = compilePolicy({
      default: 'allow',
      rules: [
        { name: 'first', match: { verbs: ['delete'] }, require: { group: 'a', approvals: 1 } },
        { name: 'second', match: { verbs: ['delete'] }, require: { group: 'b', approvals: 1 } },
      ],
    });
    expect(policy.decide(ctx('DELETE', '/api/v1/namespaces/x/pods/y'))).toMatchObject({
      rule: 'first',
      group: 'a',
    });
  });

  it('an allow placed first does not override a later require or deny', () => {
    const policy = compilePolicy({
      default: 'deny',
      rules: [
        { name: 'allow-all', match: {}, allow: {} },
        { name: 'hold-delete', match: { verbs: ['delete'] }, require: require1 },
        { name: 'no-secrets', match: { resources: ['secrets'] }, deny: { reason: 'secrets are off limits' } },
      ],
    });
    expect(policy.decide(ctx('DELETE', '/api/v1/namespaces/x/pods/y'))).toMatchObject({
      effect: 'require',
      rule: 'hold-delete',
    });
    expect(policy.decide(ctx('DELETE', '/api/v1/namespaces/x/secrets/y'))).toEqual({
      effect: 'deny',
      rule: 'no-secrets',
      reason: 'secrets are off limits',
    });
    expect(policy.decide(ctx('GET', '/api/v1/namespaces/x/pods/y'))).toEqual({
      effect: 'allow',
      rule: 'allow-all',
    });
  });

  it('allow rules open what the default closes; the default decides the rest', () => {
    const policy = compilePolicy({
      default: 'deny',
      rules: [{ name: 'reads', match: { verbs: ['get', 'list', 'watch'] }, allow: true }],
    });
    expect(policy.decide(ctx('GET', '/api/v1/namespaces/x/pods'))).toEqual({
      effect: 'allow',
      rule: 'reads',
    });
    expect(policy.decide(ctx('POST', '/api/v1/namespaces/x/pods'))).toMatchObject({
      effect: 'deny',
      rule: null,
    });
  });

  it('a default require holds unmatched requests under the (default) rule name', () => {
    const policy = compilePolicy({ default: { require: require1 } });
    expect(policy.decide(ctx('POST', '/api/v1/namespaces/x/pods'))).toMatchObject({
      effect: 'require',
      rule: DEFAULT_RULE,
    });
  });

  it('matches clusters, agents, names, subresources and resources with groups', () => {
    const policy = compilePolicy({
      default: 'allow',
      rules: [
        {
          name: 'narrow',
          match: {
            clusters: ['prod*'],
            agents: ['agent-?ncall'],
            resources: ['deployments.apps'],
            subresources: ['scale'],
            names: ['web', 'api-*'],
          },
          deny: { reason: 'no' },
        },
      ],
    });
    const url = '/apis/apps/v1/namespaces/x/deployments/api-1/scale';
    expect(policy.decide(ctx('GET', url)).effect).toBe('deny');
    expect(policy.decide(ctx('GET', url, { cluster: 'staging' })).effect).toBe('allow');
    expect(policy.decide(ctx('GET', url, { agent: 'agent-bot' })).effect).toBe('allow');
    expect(policy.decide(ctx('GET', '/apis/apps/v1/namespaces/x/deployments/db/scale')).effect).toBe('allow');
    expect(policy.decide(ctx('GET', '/apis/apps/v1/namespaces/x/deployments/api-1')).effect).toBe('allow');
    expect(policy.decide(ctx('GET', '/apis/other.io/v1/namespaces/x/deployments/api-1/scale')).effect).toBe(
      'allow',
    );
  });

  it('nonResourceURLs match health and metrics paths, never resource URLs', () => {
    const policy = compilePolicy({
      default: 'deny',
      rules: [
        { name: 'health', match: { nonResourceURLs: ['/healthz*', '/livez*', '/readyz*'] }, allow: {} },
      ],
    });
    expect(policy.decide(ctx('GET', '/healthz'))).toEqual({ effect: 'allow', rule: 'health' });
    expect(policy.decide(ctx('GET', '/readyz/etcd'))).toEqual({ effect: 'allow', rule: 'health' });
    expect(policy.decide(ctx('GET', '/metrics')).effect).toBe('deny');
    expect(policy.decide(ctx('GET', '/api/v1/namespaces/healthz')).effect).toBe('deny');
  });

  it('a bare resource matches every group; .core only the core group; * and *.group', () => {
    const decideWith = (resources: string[], url: string) =>
      compilePolicy({
        default: 'allow',
        rules: [{ name: 'r', match: { resources }, deny: { reason: 'x' } }],
      }).decide(ctx('GET', url)).effect;
    expect(decideWith(['deployments'], '/apis/apps/v1/namespaces/x/deployments')).toBe('deny');
    expect(decideWith(['pods.core'], '/api/v1/namespaces/x/pods')).toBe('deny');
    expect(decideWith(['pods.core'], '/apis/metrics.k8s.io/v1beta1/namespaces/x/pods')).toBe('allow');
    expect(decideWith(['*.apps'], '/apis/apps/v1/namespaces/x/statefulsets')).toBe('deny');
    expect(decideWith(['*.apps'], '/api/v1/namespaces/x/pods')).toBe('allow');
    expect(decideWith(['*'], '/api/v1/namespaces/x/pods')).toBe('deny');
    expect(decideWith(['*'], '/healthz')).toBe('allow');
  });
});

describe('decide: discovery, unclassified and dry runs', () => {
  const strict = compilePolicy({
    default: 'deny',
    rules: [
      { name: 'deny-all', match: {}, deny: { reason: 'nothing' } },
      { name: 'hold-delete', match: { verbs: ['delete'] }, require: require1 },
    ],
  });

  it('discovery is always allowed, even under deny-everything', () => {
    for (const path of ['/api', '/apis', '/api/v1', '/apis/apps/v1', '/version', '/openapi/v3']) {
      expect(strict.decide(ctx('GET', path))).toEqual({ effect: 'allow', rule: null });
    }
    expect(strict.decide(ctx('GET', '/healthz')).effect).toBe('deny');
  });

  it('unclassified requests are denied by default, even when the default is allow and a rule allows everything', () => {
    const open = compilePolicy({ default: 'allow', rules: [{ name: 'all', match: {}, allow: {} }] });
    const decision = open.decide(ctx('GET', '/api/v1/namespaces/x/pods/%2e%2e'));
    expect(decision).toMatchObject({ effect: 'deny', rule: null });
    expect(decision.effect === 'deny' && decision.reason).toContain(
      'could not classify GET /api/v1/namespaces/x/pods/%2e%2e',
    );
  });

  it('unclassified requests can be held for approval instead', () => {
    const policy = compilePolicy({
      default: 'allow',
      unclassified: { require: { group: 'admins', approvals: 2 } },
    });
    expect(policy.decide(ctx('OPTIONS', '/api/v1/pods'))).toMatchObject({
      effect: 'require',
      rule: UNCLASSIFIED_RULE,
      group: 'admins',
      approvals: 2,
    });
  });

  it('dry runs are not held by rules that do not mention dryRun', () => {
    const deleteOptions = json({ kind: 'DeleteOptions', dryRun: ['All'] });
    const dry = ctx('DELETE', '/api/v1/namespaces/prod-api/pods/web-1', { body: deleteOptions });
    expect(seed.decide(dry)).toEqual({ effect: 'allow', rule: null });
    expect(compilePolicy({ default: { require: require1 } }).decide(dry)).toEqual({
      effect: 'allow',
      rule: null,
    });
  });

  it('deny rules still apply to dry runs; rules with dryRun: true hold them', () => {
    const dry = ctx('DELETE', '/api/v1/namespaces/x/pods/y?dryRun=All');
    expect(strict.decide(dry)).toMatchObject({ effect: 'deny', rule: 'deny-all' });
    const policy = compilePolicy({
      default: 'allow',
      rules: [{ name: 'dry', match: { verbs: ['delete'], dryRun: true }, require: require1 }],
    });
    expect(policy.decide(dry)).toMatchObject({ effect: 'require', rule: 'dry' });
    expect(policy.decide(ctx('DELETE', '/api/v1/namespaces/x/pods/y'))).toEqual({
      effect: 'allow',
      rule: null,
    });
  });
});
