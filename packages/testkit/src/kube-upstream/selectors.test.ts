import { describe, expect, it } from 'vitest';
import { KubeStatusError } from '../errors.js';
import { parseFieldSelector, parseLabelSelector } from './selectors.js';

describe('label selectors', () => {
  const labels = { app: 'web', tier: 'front', env: 'prod' };
  it.each([
    ['', true],
    ['app=web', true],
    ['app==web', true],
    ['app=db', false],
    ['app!=db', true],
    ['app=web,tier!=front', false],
    ['env in (prod, staging)', true],
    ['env notin (prod)', false],
    ['app,tier', true],
    ['!legacy', true],
    ['!app', false],
    ['missing', false],
  ])('%s → %s', (selector, expected) => {
    expect(parseLabelSelector(selector)(labels)).toBe(expected);
  });

  it('refuses a selector it cannot parse', () => {
    expect(() => parseLabelSelector('a in b')).toThrow(KubeStatusError);
  });
});

describe('field selectors', () => {
  const object = { metadata: { name: 'web-1', namespace: 'prod' }, status: { phase: 'Running' } };
  it.each([
    ['metadata.name=web-1', true],
    ['metadata.name!=web-1', false],
    ['metadata.namespace=prod,status.phase=Running', true],
    ['status.phase=Failed', false],
    ['spec.nodeName=', true],
  ])('%s → %s', (selector, expected) => {
    expect(parseFieldSelector(selector)(object)).toBe(expected);
  });
});
