import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compilePolicy } from '../compile/index.js';
import { renderCommand } from '../render/index.js';
import type { KubeRequest } from '../types.js';
import { parseAction } from './index.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const CONNECT = new Set(['exec', 'attach', 'portforward']);

const segment = fc.oneof(
  fc.constantFrom(
    'api',
    'apis',
    'v1',
    'apps',
    'namespaces',
    'prod',
    'pods',
    'deployments',
    'web',
    'watch',
    'proxy',
    'exec',
    'attach',
    'portforward',
    'scale',
    'status',
    'log',
    'eviction',
    'version',
    'openapi',
    'healthz',
    '',
    '.',
    '..',
    '%2F',
    '%2e%2e',
    '%2f..',
    '%00',
    '%',
    '%zz',
    '\\',
    ' ',
    'ü',
    'a;b',
    'x?y',
    '#',
  ),
  fc.string({ maxLength: 12 }),
);
const path = fc.oneof(
  fc.array(segment, { maxLength: 9 }).map((s) => `/${s.join('/')}`),
  fc.string({ maxLength: 60 }),
);
const method = fc.oneof(
  fc.constantFrom(
    'GET',
    'HEAD',
    'OPTIONS',
    'POST',
    'PUT',
    'PATCH',
    'DELETE',
    'TRACE',
    'CONNECT',
    'get',
    'PROPFIND',
  ),
  fc.string({ maxLength: 8 }),
);
const query = fc.oneof(
  fc.constantFrom(
    '',
    'watch=true',
    'watch=1',
    'dryRun=All',
    'command=sh&stdin=true',
    'fieldSelector=metadata.name%3Dx',
  ),
  fc.string({ maxLength: 40 }),
);
const headerValue = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.array(fc.string({ maxLength: 10 }), { maxLength: 3 }),
);
const headers = fc.dictionary(
  fc.oneof(
    fc.constantFrom('content-type', 'content-encoding', 'upgrade', 'connection', 'x-http-method-override'),
    fc.string({ maxLength: 12 }),
  ),
  fc.oneof(
    fc.constantFrom(
      'application/json-patch+json',
      'application/merge-patch+json',
      'application/apply-patch+yaml',
      'gzip',
      'websocket',
    ),
    headerValue,
  ),
  { maxKeys: 4 },
);
const body = fc.option(
  fc.oneof(
    fc.uint8Array({ maxLength: 64 }),
    fc.json().map((j) => new TextEncoder().encode(j)),
    fc.constant(new TextEncoder().encode('{"spec":{"replicas":0}}')),
  ),
  { nil: undefined },
);

const request = fc.record<KubeRequest>({ method, path, query, headers, body });

describe('parseAction on arbitrary requests', () => {
  it('never throws, always renders, and never calls a mutating request read-only', () => {
    fc.assert(
      fc.property(request, (r) => {
        const action = parseAction(r);
        expect(typeof renderCommand(action)).toBe('string');
        if (!SAFE_METHODS.has(r.method)) expect(action.readOnly).toBe(false);
        if (action.readOnly) expect(['get', 'list', 'watch']).toContain(action.verb);
        if (action.kind === 'resource' && CONNECT.has(action.subresource ?? ''))
          expect(action.readOnly).toBe(false);
      }),
      { numRuns: 20_000 },
    );
  });

  it('decides every parsed request without throwing (conditions over its body too), and never allows an unclassified one', () => {
    const policy = compilePolicy({
      default: 'allow',
      rules: [
        { name: 'all', match: {}, allow: {} },
        {
          name: 'prod',
          match: { namespaces: ['prod*'], names: ['w?b*'], verbs: ['delete'] },
          require: { group: 'g' },
        },
        // Conditions read the fuzzed body and the request; errors must fail closed, never throw.
        {
          name: 'cel-body',
          mode: 'warn',
          match: {},
          conditions: [
            'object != null && object.spec.replicas > 0',
            "object.metadata.labels.exists(k, k == 'x')",
          ],
          deny: { reason: 'r' },
        },
        {
          name: 'cel-request',
          match: {},
          conditions: ["request.verb == 'delete' || has(object.kind)"],
          require: { group: 'g' },
        },
      ],
    });
    fc.assert(
      fc.property(request, (r) => {
        const action = parseAction(r);
        const decision = policy.decide({ cluster: 'c', agent: 'a', action, request: r });
        expect(policy.explain({ cluster: 'c', agent: 'a', action, request: r }).decision).toEqual(decision);
        if (action.kind === 'unclassified') expect(decision.effect).not.toBe('allow');
      }),
      { numRuns: 10_000 },
    );
  });

  it('never calls an exec, attach or port-forward URL read-only, whatever the method and headers', () => {
    const connectPath = fc
      .tuple(
        fc.constantFrom('/api/v1', '/apis/apps/v1', '/apis/x.io/v1beta1'),
        fc.option(fc.stringMatching(/^[a-z0-9]{1,8}$/), { nil: undefined }),
        fc.stringMatching(/^[a-z0-9]{1,8}$/),
        fc.stringMatching(/^[a-z0-9-]{1,8}$/),
        fc.constantFrom(...CONNECT),
      )
      .map(([prefix, ns, resource, name, sub]) =>
        ns === undefined
          ? `${prefix}/${resource}/${name}/${sub}`
          : `${prefix}/namespaces/${ns}/${resource}/${name}/${sub}`,
      );
    fc.assert(
      fc.property(fc.record<KubeRequest>({ method, path: connectPath, query, headers, body }), (r) => {
        expect(parseAction(r).readOnly).toBe(false);
      }),
      { numRuns: 5_000 },
    );
  });

  it('survives requests whose fields are not even of the declared types', () => {
    const junk = fc.anything();
    fc.assert(
      fc.property(junk, junk, junk, junk, (m, p, q, h) => {
        const r = { method: m, path: p, query: q, headers: h } as unknown as KubeRequest;
        expect(parseAction(r).readOnly === true && !SAFE_METHODS.has(String(m))).toBe(false);
      }),
      { numRuns: 2_000 },
    );
  });
});
