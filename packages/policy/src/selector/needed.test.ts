import { describe, expect, it } from 'vitest';
import { validatePolicySpec } from '../spec/validate.js';
import { labelsNeeded } from './needed.js';

const needed = (rules: unknown[]) => labelsNeeded(validatePolicySpec({ rules }, { knownGroups: ['sre'] }));

describe('labelsNeeded', () => {
  it('name globs alone need no labels: the gateway then neither watches nor reads', () => {
    expect(needed([{ name: 'r', match: { namespaces: ['prod-*'] }, deny: { reason: 'x' } }])).toEqual({
      namespaces: false,
      objects: false,
    });
  });

  it('a namespaceSelector or namespaceObject needs namespaces; an objectSelector or oldObject needs objects', () => {
    expect(
      needed([{ name: 'r', match: { namespaceSelector: { matchLabels: { env: 'prod' } } }, allow: {} }]),
    ).toEqual({
      namespaces: true,
      objects: false,
    });
    expect(needed([{ name: 'r', match: { objectSelector: {} }, allow: {} }])).toEqual({
      namespaces: false,
      objects: true,
    });
    expect(
      needed([
        {
          name: 'r',
          match: { verbs: ['delete'] },
          conditions: ["namespaceObject.metadata.labels['env'] == 'prod'", 'has(oldObject.metadata)'],
          deny: { reason: 'x' },
        },
      ]),
    ).toEqual({ namespaces: true, objects: true });
  });
});
