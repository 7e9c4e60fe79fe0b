import { describe, expect, it } from 'vitest';
import { parseAction } from '../parse/index.js';
import type { LabelLookup, PolicyContext } from '../types.js';
import { compilePolicy } from './index.js';

const sre = { group: 'sre-oncall', approvals: 1 };
const prod: LabelLookup = { labels: { env: 'prod', 'kubernetes.io/metadata.name': 'payments' } };
const dev: LabelLookup = { labels: { env: 'dev' } };
const notSynced: LabelLookup = { unknown: 'the namespace cache of cluster prod has not synced' };

function ctx(method: string, path: string, labels: Partial<PolicyContext> = {}): PolicyContext {
  return {
    cluster: 'prod',
    agent: 'agent-ci',
    action: parseAction({ method, path, query: '', headers: {} }),
    ...labels,
  };
}
const deletePod = (labels: Partial<PolicyContext>) =>
  ctx('DELETE', '/api/v1/namespaces/payments/pods/web-1', labels);

describe('namespaceSelector and objectSelector in decide', () => {
  const policy = compilePolicy({
    default: 'allow',
    rules: [
      {
        name: 'prod-delete',
        match: { verbs: ['delete'], namespaceSelector: { matchLabels: { env: 'prod' } } },
        require: sre,
      },
      {
        name: 'critical-objects',
        match: {
          verbs: ['delete'],
          objectSelector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['critical'] }] },
        },
        deny: { reason: 'critical objects are deleted by the platform team' },
      },
    ],
  });

  it('matches on the namespace labels and the object labels the gateway read', () => {
    expect(policy.decide(deletePod({ namespaceLabels: prod, objectLabels: { labels: {} } }))).toMatchObject({
      effect: 'require',
      rule: 'prod-delete',
      reason: 'rule prod-delete needs 1 approval from sre-oncall',
    });
    expect(
      policy.decide(deletePod({ namespaceLabels: dev, objectLabels: { labels: { app: 'web' } } })),
    ).toEqual({
      effect: 'allow',
      rule: null,
    });
    expect(
      policy.decide(deletePod({ namespaceLabels: dev, objectLabels: { labels: { tier: 'critical' } } })),
    ).toEqual({
      effect: 'deny',
      rule: 'critical-objects',
      reason: 'critical objects are deleted by the platform team',
    });
  });

  it('fails closed: unknown labels make a deny or require rule match, and the reason says why', () => {
    expect(
      policy.decide(deletePod({ namespaceLabels: notSynced, objectLabels: { labels: {} } })),
    ).toMatchObject({
      effect: 'require',
      rule: 'prod-delete',
      reason:
        'rule prod-delete needs 1 approval from sre-oncall; the labels of namespace payments are unknown (the namespace cache of cluster prod has not synced) for namespaceSelector env=prod, so the rule is taken to match',
    });
    // Labels the gateway never supplied are unknown too.
    expect(policy.decide(deletePod({ namespaceLabels: dev }))).toEqual({
      effect: 'deny',
      rule: 'critical-objects',
      reason:
        'critical objects are deleted by the platform team; the labels of object pods/web-1 are unknown (the gateway did not look them up) for objectSelector tier in (critical), so the rule is taken to match',
    });
  });

  it('a selector that is known not to match decides even when another one is unknown', () => {
    const both = compilePolicy({
      default: 'allow',
      rules: [
        {
          name: 'prod-critical',
          match: {
            namespaceSelector: { matchLabels: { env: 'prod' } },
            objectSelector: { matchExpressions: [{ key: 'tier', operator: 'Exists' }] },
          },
          deny: { reason: 'no' },
        },
      ],
    });
    expect(both.decide(deletePod({ namespaceLabels: dev, objectLabels: notSynced }))).toEqual({
      effect: 'allow',
      rule: null,
    });
    expect(both.decide(deletePod({ namespaceLabels: prod, objectLabels: notSynced }))).toMatchObject({
      effect: 'deny',
    });
  });

  it('fails closed: an allow rule over unknown labels does not apply (most restrictive wins)', () => {
    const allowDev = compilePolicy({
      default: { require: sre },
      rules: [
        { name: 'dev-is-free', match: { namespaceSelector: { matchLabels: { env: 'dev' } } }, allow: {} },
      ],
    });
    expect(allowDev.decide(deletePod({ namespaceLabels: dev }))).toEqual({
      effect: 'allow',
      rule: 'dev-is-free',
    });
    expect(allowDev.decide(deletePod({ namespaceLabels: notSynced }))).toMatchObject({
      effect: 'require',
      rule: '(default)',
    });
    expect(allowDev.explain(deletePod({ namespaceLabels: notSynced })).rules).toEqual([
      {
        rule: 'dev-is-free',
        mode: 'enforce',
        effect: 'allow',
        matched: false,
        why: 'the labels of namespace payments are unknown (the namespace cache of cluster prod has not synced) for namespaceSelector env=dev; an allow rule then does not apply',
      },
    ]);
  });

  it('an empty selector matches any namespaced request, labels known or not', () => {
    const any = compilePolicy({
      default: 'allow',
      rules: [{ name: 'namespaced', match: { namespaceSelector: {} }, deny: { reason: 'namespaced' } }],
    });
    expect(any.decide(deletePod({}))).toEqual({ effect: 'deny', rule: 'namespaced', reason: 'namespaced' });
  });

  it('a namespaceSelector reads the namespace itself for namespaces/<name>, and never matches cluster-scoped or cluster-wide requests', () => {
    const deleteNs = ctx('DELETE', '/api/v1/namespaces/payments', { namespaceLabels: prod });
    expect(policy.decide({ ...deleteNs, objectLabels: { labels: {} } })).toMatchObject({
      rule: 'prod-delete',
    });
    const onlyNs = compilePolicy({
      default: 'allow',
      rules: [
        {
          name: 'prod',
          match: { namespaceSelector: { matchLabels: { env: 'prod' } } },
          deny: { reason: 'no' },
        },
      ],
    });
    // No namespace to look up: nothing unknown, nothing to fail closed on.
    expect(onlyNs.decide(ctx('DELETE', '/apis/rbac.authorization.k8s.io/v1/clusterroles/admin'))).toEqual({
      effect: 'allow',
      rule: null,
    });
    expect(onlyNs.decide(ctx('GET', '/api/v1/pods'))).toEqual({ effect: 'allow', rule: null });
    expect(onlyNs.decide(ctx('GET', '/healthz'))).toEqual({ effect: 'allow', rule: null });
    expect(onlyNs.explain(ctx('GET', '/api/v1/pods')).rules[0]?.why).toBe(
      'match.namespaceSelector does not match',
    );
  });

  it('audit mode reports a fail-closed match without changing the decision', () => {
    const trial = compilePolicy({
      default: 'allow',
      rules: [
        {
          name: 'prod-trial',
          mode: 'audit',
          match: { namespaceSelector: { matchLabels: { env: 'prod' } } },
          require: sre,
        },
      ],
    });
    expect(trial.decide(deletePod({ namespaceLabels: notSynced }))).toMatchObject({
      effect: 'allow',
      observed: [{ rule: 'prod-trial', reason: expect.stringContaining('has not synced') }],
    });
  });

  it('explains a fail-closed match with the labels that were unknown and the conditions after them', () => {
    const withCondition = compilePolicy({
      default: 'allow',
      rules: [
        {
          name: 'prod-delete',
          match: { namespaceSelector: { matchLabels: { env: 'prod' } } },
          conditions: ['request.verb == "delete"'],
          require: sre,
        },
      ],
    });
    expect(withCondition.explain(deletePod({ namespaceLabels: notSynced })).rules[0]).toMatchObject({
      matched: true,
      why: 'the labels of namespace payments are unknown (the namespace cache of cluster prod has not synced) for namespaceSelector env=prod, so the rule is taken to match and every condition is true',
    });
    expect(withCondition.explain(deletePod({ namespaceLabels: dev })).rules[0]?.why).toBe(
      'match.namespaceSelector does not match',
    );
  });
});
