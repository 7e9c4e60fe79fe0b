import { describe, expect, it } from 'vitest';
import { parseAction } from '../parse/index.js';
import type { KubeRequest, PolicyContext } from '../types.js';
import { compilePolicy } from './index.js';

const sre = { group: 'sre-oncall', approvals: 1 };
const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

function ctx(method: string, url: string, body?: unknown): PolicyContext {
  const [path = '', query = ''] = url.split('?');
  const request: KubeRequest = {
    method,
    path,
    query,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : json(body),
  };
  return { cluster: 'prod', agent: 'agent-ci', action: parseAction(request), request };
}

const deleteInProd = ctx('DELETE', '/api/v1/namespaces/prod-api/pods/web-1');
const createWith = (image: string) =>
  ctx('POST', '/apis/apps/v1/namespaces/prod-api/deployments', {
    metadata: { name: 'web' },
    spec: { template: { spec: { containers: [{ name: 'c', image }] } } },
  });

describe('mode: enforce, audit, warn', () => {
  const policy = compilePolicy({
    default: 'allow',
    rules: [
      {
        name: 'prod-delete-trial',
        mode: 'audit',
        match: { verbs: ['delete'], namespaces: ['prod-*'] },
        require: sre,
      },
      {
        name: 'prod-delete-notice',
        mode: 'warn',
        match: { verbs: ['delete'] },
        deny: { reason: 'deletes are going away' },
      },
      { name: 'all-pods-audit', mode: 'audit', match: { resources: ['pods'] }, allow: {} },
    ],
  });

  it('audit and warn rules never change the decision; each one that matched is observed with what it would have done', () => {
    expect(policy.decide(deleteInProd)).toEqual({
      effect: 'allow',
      rule: null,
      observed: [
        {
          rule: 'prod-delete-trial',
          mode: 'audit',
          effect: 'require',
          reason: 'rule prod-delete-trial needs 1 approval from sre-oncall',
        },
        { rule: 'prod-delete-notice', mode: 'warn', effect: 'deny', reason: 'deletes are going away' },
        {
          rule: 'all-pods-audit',
          mode: 'audit',
          effect: 'allow',
          reason: 'rule all-pods-audit allows this request',
        },
      ],
    });
  });

  it('a decision with no observing rule matched carries no observed list', () => {
    expect(policy.decide(ctx('GET', '/api/v1/namespaces/dev/configmaps'))).toEqual({
      effect: 'allow',
      rule: null,
    });
  });

  it('an enforced deny still lets later audit rules be observed', () => {
    const denying = compilePolicy({
      default: 'allow',
      rules: [
        { name: 'no-deletes', match: { verbs: ['delete'] }, deny: { reason: 'no' } },
        { name: 'later-deny', match: { verbs: ['delete'] }, deny: { reason: 'also no' } },
        { name: 'trial', mode: 'audit', match: { namespaces: ['prod-*'] }, require: sre },
      ],
    });
    expect(denying.decide(deleteInProd)).toMatchObject({
      effect: 'deny',
      rule: 'no-deletes',
      reason: 'no',
      observed: [{ rule: 'trial', effect: 'require' }],
    });
  });

  it('an audit rule does not soften an enforced one: the enforced require still holds', () => {
    const both = compilePolicy({
      default: 'allow',
      rules: [
        { name: 'hold', match: { verbs: ['delete'] }, require: sre },
        { name: 'trial-allow', mode: 'audit', match: { verbs: ['delete'] }, allow: {} },
      ],
    });
    expect(both.decide(deleteInProd)).toMatchObject({
      effect: 'require',
      rule: 'hold',
      observed: [{ rule: 'trial-allow' }],
    });
  });
});

describe('conditions in decisions: fail closed', () => {
  const foreign = "object.spec.template.spec.containers.exists(c, !c.image.startsWith('registry.internal/'))";
  const policy = compilePolicy({
    default: 'allow',
    rules: [{ name: 'foreign-images', match: { verbs: ['create'] }, conditions: [foreign], require: sre }],
  });

  it('a rule with conditions matches only when every condition is true', () => {
    expect(policy.decide(createWith('docker.io/evil'))).toMatchObject({
      effect: 'require',
      rule: 'foreign-images',
    });
    expect(policy.decide(createWith('registry.internal/web:1'))).toEqual({ effect: 'allow', rule: null });
  });

  it('a require rule whose condition cannot be evaluated holds, and says why', () => {
    const configMap = ctx('POST', '/api/v1/namespaces/prod-api/configmaps', {
      metadata: { name: 'x' },
      data: {},
    });
    expect(policy.decide(configMap)).toMatchObject({
      effect: 'require',
      rule: 'foreign-images',
      reason: expect.stringMatching(/could not be evaluated \(.*spec.*\), so the rule is taken to match$/),
    });
  });

  it('an allow rule whose condition cannot be evaluated does not apply', () => {
    const allowing = compilePolicy({
      default: { require: sre },
      rules: [
        { name: 'internal-only', match: { verbs: ['create'] }, conditions: [`!(${foreign})`], allow: {} },
      ],
    });
    expect(allowing.decide(createWith('registry.internal/web'))).toEqual({
      effect: 'allow',
      rule: 'internal-only',
    });
    const configMap = ctx('POST', '/api/v1/namespaces/prod-api/configmaps', { data: {} });
    expect(allowing.decide(configMap)).toMatchObject({ effect: 'require', rule: '(default)' });
  });

  it('explain says for every rule whether it matched and why', () => {
    const explained = compilePolicy({
      default: 'allow',
      rules: [
        { name: 'prod-delete', match: { verbs: ['delete'], namespaces: ['prod-*'] }, require: sre },
        { name: 'dev-delete', match: { verbs: ['delete'], namespaces: ['dev-*'] }, require: sre },
        { name: 'images', mode: 'warn', match: {}, conditions: ['object != null'], deny: { reason: 'x' } },
      ],
    }).explain(deleteInProd);
    expect(explained.decision).toMatchObject({ effect: 'require', rule: 'prod-delete' });
    expect(explained.rules).toEqual([
      {
        rule: 'prod-delete',
        mode: 'enforce',
        effect: 'require',
        matched: true,
        why: 'every match field matches',
      },
      {
        rule: 'dev-delete',
        mode: 'enforce',
        effect: 'require',
        matched: false,
        why: 'match.namespaces does not match',
      },
      {
        rule: 'images',
        mode: 'warn',
        effect: 'deny',
        matched: false,
        why: 'condition "object != null" is false',
      },
    ]);
  });
});
