import type { Action } from '@gatehouse/policy';
import { describe, expect, it } from 'vitest';
import { fingerprintOf } from './index.js';

const EMPTY = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

function exec(verb: Action['verb']): Action {
  return {
    kind: 'resource',
    verb,
    apiGroup: '',
    apiVersion: 'v1',
    resource: 'pods',
    subresource: 'exec',
    namespace: 'prod-a',
    name: 'web-0',
    dryRun: false,
    readOnly: false,
    scaleToZero: false,
  };
}

const base = {
  agent: 'agent-1',
  cluster: 'prod',
  action: exec('exec'),
  request: {
    method: 'GET',
    path: '/api/v1/namespaces/prod-a/pods/web-0/exec',
    query: 'command=sh&command=-c&stdin=true&tty=true',
    bodySha256: EMPTY,
  },
};

describe('fingerprintOf', () => {
  it('maps the WebSocket GET and the SPDY POST retry of one exec to one fingerprint', () => {
    const spdy = { ...base, request: { ...base.request, method: 'POST' } };
    expect(fingerprintOf(spdy)).toBe(fingerprintOf(base));
  });

  it('keeps GET and POST apart for ordinary verbs', () => {
    const get = { ...base, action: exec('get') };
    const post = { ...get, request: { ...base.request, method: 'POST' } };
    expect(fingerprintOf(post)).not.toBe(fingerprintOf(get));
  });

  it('ignores the order of distinct query parameters but not of repeated ones', () => {
    const reordered = {
      ...base,
      request: { ...base.request, query: 'tty=true&command=sh&stdin=true&command=-c' },
    };
    expect(fingerprintOf(reordered)).toBe(fingerprintOf(base));
    const swapped = {
      ...base,
      request: { ...base.request, query: 'command=-c&command=sh&stdin=true&tty=true' },
    };
    expect(fingerprintOf(swapped)).not.toBe(fingerprintOf(base));
  });

  it('differs by agent, cluster, path and body', () => {
    const variants = [
      { ...base, agent: 'agent-2' },
      { ...base, cluster: 'staging' },
      { ...base, request: { ...base.request, path: '/api/v1/namespaces/prod-a/pods/web-1/exec' } },
      { ...base, request: { ...base.request, bodySha256: 'ab'.repeat(32) } },
    ];
    const all = new Set([fingerprintOf(base), ...variants.map(fingerprintOf)]);
    expect(all.size).toBe(variants.length + 1);
  });

  it('does not let a field boundary shift collide (agent "a:b" vs cluster split)', () => {
    const a = fingerprintOf({ ...base, agent: 'a', cluster: 'b:c' });
    const b = fingerprintOf({ ...base, agent: 'a:b', cluster: 'c' });
    expect(a).not.toBe(b);
  });
});
