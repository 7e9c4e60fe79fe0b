import { describe, expect, it } from 'vitest';
import { parseAction } from '../parse/index.js';
import type { PolicyContext } from '../types.js';
import { compilePolicy } from './index.js';

function ctx(method: string, url: string): PolicyContext {
  const [path = '', query = ''] = url.split('?');
  return { cluster: 'prod', agent: 'agent-ci', action: parseAction({ method, path, query, headers: {} }) };
}

const sre = { group: 'sre-oncall', approvals: 1 };
const kubeSystemPods = ctx('GET', '/api/v1/namespaces/kube-system/pods');

describe('auditLevel: what an allow rule lets the audit leave out', () => {
  it('an allow rule without auditLevel, the default and discovery keep the full record', () => {
    const policy = compilePolicy({
      default: 'allow',
      rules: [{ name: 'reads', match: { verbs: ['get', 'list'] }, allow: {} }],
    });
    expect(policy.decide(kubeSystemPods)).toEqual({ effect: 'allow', rule: 'reads' });
    expect(policy.decide(ctx('DELETE', '/api/v1/namespaces/dev/pods/web'))).toEqual({
      effect: 'allow',
      rule: null,
    });
    expect(policy.decide(ctx('GET', '/api'))).toEqual({ effect: 'allow', rule: null });
  });

  it('the allow decision carries the level of the rule that lowered it', () => {
    const policy = compilePolicy({
      rules: [
        {
          name: 'kube-system-reads',
          match: { verbs: ['get', 'list'], namespaces: ['kube-system'] },
          auditLevel: 'None',
          allow: {},
        },
        { name: 'health', match: { nonResourceURLs: ['/healthz*'] }, auditLevel: 'Metadata', allow: true },
        { name: 'spelled-out', match: { namespaces: ['dev'] }, auditLevel: 'Request', allow: {} },
      ],
    });
    expect(policy.decide(kubeSystemPods)).toEqual({
      effect: 'allow',
      rule: 'kube-system-reads',
      auditLevel: 'None',
    });
    expect(policy.decide(ctx('GET', '/healthz/etcd'))).toEqual({
      effect: 'allow',
      rule: 'health',
      auditLevel: 'Metadata',
    });
    expect(policy.decide(ctx('GET', '/api/v1/namespaces/dev/pods'))).toEqual({
      effect: 'allow',
      rule: 'spelled-out',
    });
  });

  it('of several allow rules that match, the one recording most sets the level, whatever their order', () => {
    const quiet = { name: 'quiet', match: { namespaces: ['kube-system'] }, auditLevel: 'None', allow: {} };
    const some = { name: 'some', match: { verbs: ['list'] }, auditLevel: 'Metadata', allow: {} };
    const full = { name: 'full', match: { resources: ['pods'] }, allow: {} };
    expect(compilePolicy({ rules: [quiet, some] }).decide(kubeSystemPods)).toEqual({
      effect: 'allow',
      rule: 'quiet',
      auditLevel: 'Metadata',
    });
    expect(compilePolicy({ rules: [some, quiet] }).decide(kubeSystemPods)).toMatchObject({
      auditLevel: 'Metadata',
    });
    expect(compilePolicy({ rules: [quiet, some, full] }).decide(kubeSystemPods)).toEqual({
      effect: 'allow',
      rule: 'quiet',
    });
  });

  it('a deny or require rule that matches too decides, and its decision is recorded in full', () => {
    const policy = compilePolicy({
      rules: [
        { name: 'quiet', match: { namespaces: ['kube-system'] }, auditLevel: 'None', allow: {} },
        { name: 'hold-deletes', match: { verbs: ['delete'] }, require: sre },
        { name: 'no-secrets', match: { resources: ['secrets'] }, deny: { reason: 'never' } },
      ],
    });
    const held = policy.decide(ctx('DELETE', '/api/v1/namespaces/kube-system/pods/dns'));
    expect(held).toMatchObject({ effect: 'require', rule: 'hold-deletes' });
    expect(held).not.toHaveProperty('auditLevel');
    const denied = policy.decide(ctx('GET', '/api/v1/namespaces/kube-system/secrets'));
    expect(denied).toMatchObject({ effect: 'deny', rule: 'no-secrets' });
    expect(denied).not.toHaveProperty('auditLevel');
  });

  it('a request an audit or warn rule matches is recorded in full', () => {
    const policy = compilePolicy({
      rules: [
        { name: 'quiet', match: { namespaces: ['kube-system'] }, auditLevel: 'None', allow: {} },
        { name: 'trial', mode: 'audit', match: { verbs: ['list'] }, require: sre },
      ],
    });
    expect(policy.decide(kubeSystemPods)).toEqual({
      effect: 'allow',
      rule: 'quiet',
      observed: [
        {
          rule: 'trial',
          mode: 'audit',
          effect: 'require',
          reason: 'rule trial needs 1 approval from sre-oncall',
        },
      ],
    });
    expect(policy.decide(ctx('GET', '/api/v1/namespaces/kube-system/pods/dns'))).toEqual({
      effect: 'allow',
      rule: 'quiet',
      auditLevel: 'None',
    });
  });

  it('explain reports the decision with its level', () => {
    const policy = compilePolicy({
      rules: [{ name: 'quiet', match: { namespaces: ['kube-system'] }, auditLevel: 'None', allow: {} }],
    });
    expect(policy.explain(kubeSystemPods).decision).toEqual({
      effect: 'allow',
      rule: 'quiet',
      auditLevel: 'None',
    });
  });
});
