import { describe, expect, it } from 'vitest';
import { compilePolicy } from '../compile/index.js';
import { PolicyRuleError } from '../errors.js';
import type { LabelSelectorSpec } from '../spec/schema.js';
import { compileSelector } from './index.js';

function selector(spec: LabelSelectorSpec) {
  const compiled = compileSelector(spec);
  if (!compiled.ok) throw new Error(`${compiled.field}: ${compiled.message}`);
  return compiled.selector;
}

describe('label selectors, as apimachinery LabelSelectorAsSelector and Requirement.Matches', () => {
  it('an empty selector matches everything, even no labels', () => {
    const all = selector({});
    expect(all.empty).toBe(true);
    expect(all.matches({})).toBe(true);
    expect(all.matches({ env: 'prod' })).toBe(true);
    expect(selector({ matchLabels: {}, matchExpressions: [] }).empty).toBe(true);
  });

  it('matchLabels are ANDed equality requirements', () => {
    const s = selector({ matchLabels: { env: 'prod', 'example.com/tier': 'critical' } });
    expect(s.matches({ env: 'prod', 'example.com/tier': 'critical', team: 'a' })).toBe(true);
    expect(s.matches({ env: 'prod' })).toBe(false);
    expect(s.matches({ env: 'staging', 'example.com/tier': 'critical' })).toBe(false);
    expect(s.text).toBe('env=prod,example.com/tier=critical');
  });

  it('In needs the key with one of the values; NotIn holds when the key is absent or has none of them', () => {
    const isIn = selector({ matchExpressions: [{ key: 'env', operator: 'In', values: ['prod', 'dr'] }] });
    expect(isIn.matches({ env: 'dr' })).toBe(true);
    expect(isIn.matches({ env: 'dev' })).toBe(false);
    expect(isIn.matches({})).toBe(false);
    const notIn = selector({ matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['dev'] }] });
    expect(notIn.matches({})).toBe(true);
    expect(notIn.matches({ env: 'prod' })).toBe(true);
    expect(notIn.matches({ env: 'dev' })).toBe(false);
    expect(isIn.text).toBe('env in (dr,prod)');
  });

  it('Exists and DoesNotExist read the key alone; an inherited property is not a label', () => {
    const exists = selector({ matchExpressions: [{ key: 'critical', operator: 'Exists' }] });
    expect(exists.matches({ critical: '' })).toBe(true);
    expect(exists.matches({})).toBe(false);
    const absent = selector({ matchExpressions: [{ key: 'legacy', operator: 'DoesNotExist' }] });
    expect(absent.matches({})).toBe(true);
    expect(absent.matches({ legacy: 'yes' })).toBe(false);
    expect(selector({ matchExpressions: [{ key: 'toString', operator: 'Exists' }] }).matches({})).toBe(false);
    expect(`${exists.text},${absent.text}`).toBe('critical,!legacy');
  });

  it.each<[string, LabelSelectorSpec, string, RegExp]>([
    [
      'In without values',
      { matchExpressions: [{ key: 'env', operator: 'In', values: [] }] },
      'matchExpressions.0.values',
      /In needs at least one value/,
    ],
    [
      'NotIn without values',
      { matchExpressions: [{ key: 'env', operator: 'NotIn' }] },
      'matchExpressions.0.values',
      /NotIn needs at least one value/,
    ],
    [
      'Exists with values',
      { matchExpressions: [{ key: 'env', operator: 'Exists', values: ['x'] }] },
      'matchExpressions.0.values',
      /Exists takes no values/,
    ],
    [
      'DoesNotExist with values',
      { matchExpressions: [{ key: 'env', operator: 'DoesNotExist', values: [''] }] },
      'matchExpressions.0.values',
      /DoesNotExist takes no values/,
    ],
    ['a key with a space', { matchLabels: { 'bad key': 'x' } }, 'matchLabels.bad key', /label key "bad key"/],
    [
      'an upper-case prefix',
      { matchExpressions: [{ key: 'Example.com/tier', operator: 'Exists' }] },
      'matchExpressions.0.key',
      /prefix must be a DNS subdomain/,
    ],
    [
      'a 64-character name',
      { matchLabels: { ['a'.repeat(64)]: 'x' } },
      `matchLabels.${'a'.repeat(64)}`,
      /at most 63 characters/,
    ],
    ['an empty key', { matchLabels: { '': 'x' } }, 'matchLabels.', /label key ""/],
    ['a value ending in a dash', { matchLabels: { env: 'prod-' } }, 'matchLabels.env', /label value "prod-"/],
    [
      'a bad value in a list',
      { matchExpressions: [{ key: 'env', operator: 'In', values: ['ok', 'no way'] }] },
      'matchExpressions.0.values.1',
      /label value "no way"/,
    ],
  ])('refuses %s, as NewRequirement does', (_, spec, field, message) => {
    const compiled = compileSelector(spec);
    expect(compiled.ok).toBe(false);
    if (compiled.ok) return;
    expect(compiled.field).toBe(field);
    expect(compiled.message).toMatch(message);
  });

  it('accepts an empty value and a prefixed key', () => {
    expect(compileSelector({ matchLabels: { 'app.kubernetes.io/part-of': '' } }).ok).toBe(true);
  });
});

describe('selectors in the policy section are checked when the config loads', () => {
  const load = (match: Record<string, unknown>) =>
    compilePolicy({ rules: [{ name: 'prod', match, deny: { reason: 'no' } }] });

  it('names the rule and the field inside the selector', () => {
    expect(() => load({ namespaceSelector: { matchExpressions: [{ key: 'env', operator: 'In' }] } })).toThrow(
      expect.objectContaining({
        constructor: PolicyRuleError,
        rule: 'prod',
        field: 'match.namespaceSelector.matchExpressions.0.values',
        message:
          'policy rule "prod" (rules[0]): match.namespaceSelector.matchExpressions.0.values: In needs at least one value',
      }),
    );
  });

  it('refuses an unknown operator or field with the ones it knows', () => {
    expect(() =>
      load({ objectSelector: { matchExpressions: [{ key: 'env', operator: 'Gt', values: ['1'] }] } }),
    ).toThrow(
      /match\.objectSelector\.matchExpressions\.0\.operator: unknown operator "Gt"; expected one of In, NotIn, Exists, DoesNotExist/,
    );
    expect(() => load({ namespaceSelector: { matchLabel: { env: 'prod' } } })).toThrow(
      /match\.namespaceSelector\.matchLabel/,
    );
  });
});
