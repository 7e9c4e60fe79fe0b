import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PolicyErrorCode, PolicyRuleError, PolicySpecError } from '../errors.js';
import { validatePolicySpec } from './validate.js';

function ruleError(input: unknown, options = {}): PolicyRuleError {
  try {
    validatePolicySpec(input, options);
  } catch (error) {
    if (error instanceof PolicyRuleError) return error;
    throw error;
  }
  throw new Error('expected a PolicyRuleError, nothing was thrown');
}

const good = { name: 'ok', match: {}, allow: {} };

describe('validatePolicySpec', () => {
  it('accepts the config sketch from DESIGN.md and fills defaults', () => {
    const spec = validatePolicySpec(
      parse(`
default: allow
rules:
  - { name: prod-delete, match: { verbs: [delete, deletecollection], namespaces: ["prod-*"] },
      require: { group: sre-oncall, approvals: 1 } }
  - { name: scale-to-zero, match: { scaleToZero: true }, require: { group: sre-oncall } }
`),
      { knownGroups: ['sre-oncall'] },
    );
    expect(spec.unclassified).toBe('deny');
    expect(spec.rules[1]?.require?.approvals).toBe(1);
  });

  it('an absent policy denies by default', () => {
    expect(validatePolicySpec(undefined)).toEqual({ default: 'deny', unclassified: 'deny', rules: [] });
  });

  it.each([
    [
      'an unknown verb',
      { name: 'prod-delete', match: { verbs: ['delete', 'remove'] }, allow: {} },
      'prod-delete',
      'match.verbs.1',
      /unknown verb "remove"/,
    ],
    [
      'a misspelt match key',
      { name: 'r', match: { namespace: ['x'] }, allow: {} },
      'r',
      'match.namespace',
      /namespace/,
    ],
    [
      'a bad resource',
      { name: 'r', match: { resources: ['Deployments'] }, allow: {} },
      'r',
      'match.resources.0',
      /plural resource/,
    ],
    [
      'an empty list',
      { name: 'r', match: { namespaces: [] }, allow: {} },
      'r',
      'match.namespaces',
      /matches nothing/,
    ],
    [
      'zero approvals',
      { name: 'r', match: {}, require: { group: 'g', approvals: 0 } },
      'r',
      'require.approvals',
      /./,
    ],
    ['a deny without reason', { name: 'r', match: {}, deny: {} }, 'r', 'deny.reason', /./],
    [
      'no effect',
      { name: 'r', match: {} },
      'r',
      'allow',
      /exactly one of allow, deny, require \(found none\)/,
    ],
    [
      'two effects',
      { name: 'r', match: {}, allow: {}, deny: { reason: 'x' } },
      'r',
      'deny',
      /found allow and deny/,
    ],
    ['a missing name', { match: {}, allow: {} }, 'rules[1]', 'name', /./],
    [
      'an unknown mode',
      { name: 'r', match: {}, mode: 'dry-run', allow: {} },
      'r',
      'mode',
      /unknown mode "dry-run"; expected one of enforce, audit, warn/,
    ],
    [
      'a condition that does not parse',
      { name: 'images', match: {}, conditions: ['true', 'object.spec.('], deny: { reason: 'x' } },
      'images',
      'conditions.1',
      /"object\.spec\.\(" does not parse: .*1:12/,
    ],
    [
      'a condition reading an unknown variable',
      { name: 'r', match: {}, conditions: ["objet.metadata.name == 'x'"], deny: { reason: 'x' } },
      'r',
      'conditions.0',
      /unknown variable "objet"; the variables are request, object, oldObject, namespaceObject/,
    ],
    [
      'a condition nesting loops beyond the cost bound',
      {
        name: 'r',
        match: {},
        conditions: ['object.a.exists(x, object.b.exists(y, object.c.exists(z, x == y && y == z)))'],
        deny: { reason: 'x' },
      },
      'r',
      'conditions.0',
      /costs about \d+ steps on an input of 100 values, more than the limit of 1000000/,
    ],
    [
      'an unknown audit level',
      { name: 'r', match: {}, auditLevel: 'RequestResponse', allow: {} },
      'r',
      'auditLevel',
      /unknown audit level "RequestResponse"; expected one of None, Metadata, Request/,
    ],
    [
      'a require rule lowering its audit record',
      {
        name: 'kube-system-reads',
        match: { namespaces: ['kube-system'] },
        auditLevel: 'None',
        require: { group: 'g' },
      },
      'kube-system-reads',
      'auditLevel',
      /None would lower the audit record, which only an enforced allow rule may do; this rule holds requests for approval, and held and approved requests are always recorded in full/,
    ],
    [
      'a deny rule lowering its audit record',
      { name: 'r', match: {}, auditLevel: 'Metadata', deny: { reason: 'x' } },
      'r',
      'auditLevel',
      /Metadata would lower .*; this rule denies, and denied requests are always recorded in full/,
    ],
    [
      'an allow rule in mode warn lowering its audit record',
      { name: 'r', match: {}, mode: 'warn', auditLevel: 'None', allow: {} },
      'r',
      'auditLevel',
      /None would lower .*; this rule is in mode warn, whose matches are always recorded in full/,
    ],
  ])('%s names the rule and the field', (_, rule, name, field, message) => {
    const error = ruleError({ rules: [good, rule] });
    expect(error.code).toBe(PolicyErrorCode.InvalidRule);
    expect(error).toMatchObject({ rule: name, ruleIndex: 1, field });
    expect(error.message).toContain(
      name === 'rules[1]' ? 'policy rule rules[1]:' : `policy rule "${name}" (rules[1])`,
    );
    expect(error.message).toContain(field);
    expect(error.message).toMatch(message);
  });

  it('an enforced allow rule may lower its audit record; any rule may name the default, Request', () => {
    const spec = validatePolicySpec({
      rules: [
        { name: 'health', match: { namespaces: ['kube-system'] }, auditLevel: 'None', allow: {} },
        { name: 'reads', match: { verbs: ['get'] }, auditLevel: 'Metadata', allow: true },
        { name: 'hold', match: {}, auditLevel: 'Request', require: { group: 'g' } },
        { name: 'trial', match: {}, mode: 'audit', auditLevel: 'Request', deny: { reason: 'x' } },
      ],
    });
    expect(spec.rules.map((rule) => rule.auditLevel)).toEqual(['None', 'Metadata', 'Request', 'Request']);
  });

  it('duplicate names are refused on the second rule', () => {
    const error = ruleError({ rules: [good, { ...good }] });
    expect(error).toMatchObject({ rule: 'ok', ruleIndex: 1, field: 'name' });
  });

  it('require.group must be a configured approver group when the groups are given', () => {
    const rules = [{ name: 'hold', match: {}, require: { group: 'sre', approvals: 1 } }];
    const error = ruleError({ rules }, { knownGroups: ['sre-oncall'] });
    expect(error).toMatchObject({ rule: 'hold', field: 'require.group' });
    expect(error.message).toContain('"sre" is not in approverGroups (known: sre-oncall)');
    expect(() => validatePolicySpec({ rules })).not.toThrow();
  });

  it('top-level mistakes are PolicySpecErrors naming the field', () => {
    const cases: [unknown, string][] = [
      [{ default: 'maybe' }, 'default'],
      [{ unclassified: 'allow' }, 'unclassified'],
      [{ rules: {} }, 'rules'],
      [{ rule: [] }, 'rule'],
      [{ default: { require: { group: 'nope' } } }, 'default.require.group'],
    ];
    for (const [input, field] of cases) {
      let caught: unknown;
      try {
        validatePolicySpec(input, { knownGroups: [] });
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(PolicySpecError);
      expect(caught).toMatchObject({ code: PolicyErrorCode.InvalidSpec, field });
    }
  });
});
