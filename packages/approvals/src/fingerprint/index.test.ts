import type { Action } from '@gatehouse/policy';
import { describe, expect, it } from 'vitest';
import { type FingerprintInput, fingerprintOf } from './index.js';

const EMPTY = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

function action(
  verb: Action['verb'],
  target: { subresource?: string | undefined; resource?: string; name?: string } = {},
): Action {
  return {
    kind: 'resource',
    verb,
    apiGroup: target.resource === undefined ? '' : 'apps',
    apiVersion: 'v1',
    resource: target.resource ?? 'pods',
    subresource: 'subresource' in target ? target.subresource : 'exec',
    namespace: 'prod-a',
    name: target.name ?? 'web-0',
    dryRun: false,
    readOnly: false,
    scaleToZero: false,
  };
}

const base: FingerprintInput = {
  agent: 'agent-1',
  cluster: 'prod',
  action: action('exec'),
  request: {
    method: 'GET',
    path: '/api/v1/namespaces/prod-a/pods/web-0/exec',
    query: 'command=sh&command=-c&stdin=true&tty=true',
    headers: {},
    bodySha256: EMPTY,
  },
  runAs: { user: 'gatehouse:agent:agent-1', groups: ['gatehouse:agents'] },
};

/** A `kubectl patch deployment web --type=merge` as the gateway holds it. */
const patch: FingerprintInput = {
  ...base,
  action: action('patch', { subresource: undefined, resource: 'deployments', name: 'web' }),
  request: {
    method: 'PATCH',
    path: '/apis/apps/v1/namespaces/prod-a/deployments/web',
    query: 'fieldManager=kubectl-patch',
    headers: { 'content-type': 'application/merge-patch+json', accept: 'application/json' },
    bodySha256: 'ab'.repeat(32),
  },
};

function withRequest(
  input: FingerprintInput,
  change: Partial<FingerprintInput['request']>,
): FingerprintInput {
  return { ...input, request: { ...input.request, ...change } };
}

function withContentType(input: FingerprintInput, contentType: string): FingerprintInput {
  return withRequest(input, { headers: { ...input.request.headers, 'content-type': contentType } });
}

describe('fingerprintOf', () => {
  it('maps the WebSocket GET and the SPDY POST retry of one exec to one fingerprint', () => {
    expect(fingerprintOf(withRequest(base, { method: 'POST' }))).toBe(fingerprintOf(base));
    // kubectl's SPDY POST may carry a Content-Type the WebSocket GET has not; the API server reads no body.
    const spdy = withContentType(withRequest(base, { method: 'POST' }), 'application/x-www-form-urlencoded');
    expect(fingerprintOf(spdy)).toBe(fingerprintOf(base));
  });

  describe('each field that changes what runs makes a new request', () => {
    it('method', () => {
      const get = { ...base, action: action('get') };
      expect(fingerprintOf(withRequest(get, { method: 'POST' }))).not.toBe(fingerprintOf(get));
      expect(fingerprintOf(withRequest(patch, { method: 'PUT' }))).not.toBe(fingerprintOf(patch));
    });

    it('path', () => {
      const other = withRequest(base, { path: '/api/v1/namespaces/prod-a/pods/web-1/exec' });
      expect(fingerprintOf(other)).not.toBe(fingerprintOf(base));
    });

    it('query, where a parameter is added, changed or a repeated value moves', () => {
      for (const query of [
        'command=sh&command=-c&stdin=true&tty=true&container=sidecar',
        'command=sh&command=-c&stdin=true&tty=false',
        'command=-c&command=sh&stdin=true&tty=true',
      ]) {
        expect(fingerprintOf(withRequest(base, { query }))).not.toBe(fingerprintOf(base));
      }
      // The order of distinct names carries no meaning: the same request.
      const reordered = withRequest(base, { query: 'tty=true&command=sh&stdin=true&command=-c' });
      expect(fingerprintOf(reordered)).toBe(fingerprintOf(base));
    });

    it('Content-Type: the same bytes as merge, strategic, JSON patch and server-side apply are four requests', () => {
      const types = [
        'application/merge-patch+json',
        'application/strategic-merge-patch+json',
        'application/json-patch+json',
        'application/apply-patch+yaml',
        'application/apply-patch+cbor',
      ];
      const all = new Set(types.map((type) => fingerprintOf(withContentType(patch, type))));
      expect(all.size).toBe(types.length);
      const none = withRequest(patch, { headers: {} });
      expect(all.has(fingerprintOf(none))).toBe(false);
    });

    it('Content-Type parameters count, case and spacing of the media type do not', () => {
      const merge = fingerprintOf(patch);
      expect(fingerprintOf(withContentType(patch, 'Application/Merge-Patch+JSON'))).toBe(merge);
      expect(fingerprintOf(withContentType(patch, 'application/merge-patch+json ; '))).toBe(merge);
      expect(fingerprintOf(withContentType(patch, 'application/merge-patch+json; charset=utf-16'))).not.toBe(
        merge,
      );
    });

    it('body hash', () => {
      expect(fingerprintOf(withRequest(patch, { bodySha256: 'cd'.repeat(32) }))).not.toBe(
        fingerprintOf(patch),
      );
    });

    it('run-as user, groups and extras', () => {
      const runAs = base.runAs ?? { user: '', groups: [] };
      const variants: FingerprintInput['runAs'][] = [
        undefined,
        { ...runAs, user: 'gatehouse:agent:agent-2' },
        { ...runAs, groups: ['gatehouse:agents', 'prod-admins'] },
        { ...runAs, groups: [] },
        { ...runAs, extra: { 'example.com/team': ['payments'] } },
      ];
      const all = new Set(
        [base, ...variants.map((variant) => ({ ...base, runAs: variant }))].map(fingerprintOf),
      );
      expect(all.size).toBe(variants.length + 1);
    });

    it('run-as group order and extra-key case do not (the API server reads them as sets / lower-cases keys)', () => {
      const twoGroups = { ...base, runAs: { user: 'u', groups: ['a', 'b'], extra: { 'Team.io/x': ['1'] } } };
      const swapped = { ...base, runAs: { user: 'u', groups: ['b', 'a'], extra: { 'team.io/x': ['1'] } } };
      expect(fingerprintOf(swapped)).toBe(fingerprintOf(twoGroups));
    });

    it('agent and cluster', () => {
      expect(fingerprintOf({ ...base, agent: 'agent-2' })).not.toBe(fingerprintOf(base));
      expect(fingerprintOf({ ...base, cluster: 'staging' })).not.toBe(fingerprintOf(base));
    });
  });

  it('ignores headers that do not change what runs (Accept, User-Agent)', () => {
    const other = withRequest(patch, {
      headers: {
        'content-type': 'application/merge-patch+json',
        accept: 'application/yaml',
        'user-agent': 'x',
      },
    });
    expect(fingerprintOf(other)).toBe(fingerprintOf(patch));
  });

  it('does not let a field boundary shift collide (agent "a:b" vs cluster split)', () => {
    const a = fingerprintOf({ ...base, agent: 'a', cluster: 'b:c' });
    const b = fingerprintOf({ ...base, agent: 'a:b', cluster: 'c' });
    expect(a).not.toBe(b);
  });
});
