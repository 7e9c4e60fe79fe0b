import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { KubeRequest, ResourceAction } from '../types.js';
import { parseAction } from './index.js';

/**
 * Every `spec.replicas` value that is not an integer in [1, 2³¹−1] may leave the workload at 0 in
 * the API server (int32 truncation on the strategic-merge and apply paths, fractions toward zero, a
 * Scale without replicas is 0) and must be held, under every patch type, on every scalable resource.
 */

const TARGETS = [
  '/apis/apps/v1/namespaces/prod/deployments/web',
  '/apis/apps/v1/namespaces/prod/statefulsets/db',
  '/apis/apps/v1/namespaces/prod/replicasets/web-7d9f',
  '/apis/extensions/v1beta1/namespaces/prod/deployments/web',
  '/api/v1/namespaces/prod/replicationcontrollers/legacy',
  '/apis/apps/v1/namespaces/prod/deployments/web/scale',
  '/apis/apps/v1/namespaces/prod/statefulsets/db/scale',
  '/apis/apps/v1/namespaces/prod/replicasets/web-7d9f/scale',
  '/api/v1/namespaces/prod/replicationcontrollers/legacy/scale',
  '/apis/example.com/v1/namespaces/prod/widgets/w/scale',
] as const;

type Encoding = (replicas: unknown) => { method: string; contentType: string; body: string };

const json = (value: unknown) => JSON.stringify(value);
const ENCODINGS: Record<string, Encoding> = {
  merge: (r) => ({
    method: 'PATCH',
    contentType: 'application/merge-patch+json',
    body: json({ spec: { replicas: r } }),
  }),
  strategic: (r) => ({
    method: 'PATCH',
    contentType: 'application/strategic-merge-patch+json',
    body: json({ spec: { replicas: r } }),
  }),
  'json replace': (r) => ({
    method: 'PATCH',
    contentType: 'application/json-patch+json',
    body: json([{ op: 'replace', path: '/spec/replicas', value: r }]),
  }),
  'json add': (r) => ({
    method: 'PATCH',
    contentType: 'application/json-patch+json',
    body: json([{ op: 'add', path: '/spec/replicas', value: r }]),
  }),
  'json replace spec': (r) => ({
    method: 'PATCH',
    contentType: 'application/json-patch+json',
    body: json([{ op: 'replace', path: '/spec', value: { replicas: r } }]),
  }),
  'apply json': (r) => ({
    method: 'PATCH',
    contentType: 'application/apply-patch+yaml',
    body: json({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: { replicas: r },
    }),
  }),
  // A JSON scalar is a YAML 1.1 flow scalar of the same value (strings double-quoted).
  'apply yaml': (r) => ({
    method: 'PATCH',
    contentType: 'application/apply-patch+yaml',
    body: `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: ${json(r)}\n`,
  }),
  put: (r) => ({
    method: 'PUT',
    contentType: 'application/json',
    body: json({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: { replicas: r },
    }),
  }),
};

function parse(path: string, encoded: ReturnType<Encoding>): ResourceAction {
  const req: KubeRequest = {
    method: encoded.method,
    path,
    query: '',
    headers: { 'content-type': encoded.contentType },
    body: new TextEncoder().encode(encoded.body),
  };
  const action = parseAction(req);
  if (action.kind !== 'resource') throw new Error(`not a resource action: ${JSON.stringify(action)}`);
  return action;
}

/** The specification, written out apart from the parser: at least one replica, and an int32. */
const keepsPods = (value: unknown) =>
  typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 2147483647;

const INT32_EDGES = [
  0, -0, 1, 2, 2147483647, 2147483648, -2147483648, 4294967296, 4294967297, -4294967296, 8589934592,
];
const replicas = fc.oneof(
  fc.constantFrom(...INT32_EDGES, 0.5, 1.5, -1, 0.999, 1e300, Number.MAX_SAFE_INTEGER, 2 ** 64),
  fc.integer({ min: -(2 ** 34), max: 2 ** 34 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom('0', '3', '', 'zero', null, true, false),
  fc.string({ maxLength: 6 }),
  fc.array(fc.integer(), { maxLength: 2 }),
  fc.dictionary(fc.string({ maxLength: 3 }), fc.integer(), { maxKeys: 2 }),
);

describe('scale to zero: every replicas value the API server may store as 0', () => {
  it('is held unless it is an integer in [1, 2^31-1], under every patch type, on every scalable resource', () => {
    fc.assert(
      fc.property(
        replicas,
        fc.constantFrom(...Object.keys(ENCODINGS)),
        fc.constantFrom(...TARGETS),
        (value, encoding, path) => {
          // What the body carries after JSON: -0 is 0, a non-finite number is null.
          const sent = JSON.parse(json(value)) as unknown;
          const action = parse(path, ENCODINGS[encoding]!(value));
          expect(action.scaleToZero).toBe(!keepsPods(sent));
        },
      ),
      { numRuns: 4000, seed: 15 },
    );
  });

  it.each(Object.keys(ENCODINGS))(
    '%s: the int32 edges on a Deployment and on its scale subresource',
    (encoding) => {
      for (const path of [TARGETS[0], TARGETS[5]]) {
        const held = INT32_EDGES.filter((value) => parse(path, ENCODINGS[encoding]!(value)).scaleToZero);
        expect(held).toEqual([
          0, -0, 2147483648, -2147483648, 4294967296, 4294967297, -4294967296, 8589934592,
        ]);
      }
    },
  );

  it('a cleared or removed replicas field: held (a Scale without replicas is 0)', () => {
    const deployment = TARGETS[0];
    const scale = TARGETS[5];
    const merge = (body: unknown) => ({
      method: 'PATCH',
      contentType: 'application/merge-patch+json',
      body: json(body),
    });
    const jsonPatch = (ops: unknown) => ({
      method: 'PATCH',
      contentType: 'application/json-patch+json',
      body: json(ops),
    });
    for (const path of [deployment, scale]) {
      expect(parse(path, merge({ spec: { replicas: null } })).scaleToZero).toBe(true);
      expect(parse(path, merge({ spec: null })).scaleToZero).toBe(true);
      expect(parse(path, jsonPatch([{ op: 'remove', path: '/spec/replicas' }])).scaleToZero).toBe(true);
      expect(
        parse(path, jsonPatch([{ op: 'move', from: '/spec/replicas', path: '/metadata/x' }])).scaleToZero,
      ).toBe(true);
      // Strategic-merge directives that drop what the patch does not name.
      const strategic = (body: unknown) => ({
        ...merge(body),
        contentType: 'application/strategic-merge-patch+json',
      });
      expect(parse(path, strategic({ spec: { $patch: 'delete' } })).scaleToZero).toBe(true);
      expect(parse(path, strategic({ spec: { $retainKeys: ['selector'], selector: {} } })).scaleToZero).toBe(
        true,
      );
      // A patch that does not name replicas leaves it alone.
      expect(parse(path, merge({ metadata: { labels: { a: 'b' } } })).scaleToZero).toBe(false);
    }
    // A PUT of a Scale without replicas is a Scale of 0; of a Deployment, defaulted to 1.
    const put = (body: unknown) => ({ method: 'PUT', contentType: 'application/json', body: json(body) });
    expect(parse(scale, put({ kind: 'Scale', metadata: { name: 'web' }, spec: {} })).scaleToZero).toBe(true);
    expect(parse(scale, put({ kind: 'Scale', metadata: { name: 'web' } })).scaleToZero).toBe(true);
    expect(
      parse(deployment, put({ kind: 'Deployment', metadata: { name: 'web' }, spec: {} })).scaleToZero,
    ).toBe(false);
    expect(parse(scale, jsonPatch([{ op: 'replace', path: '/spec', value: {} }])).scaleToZero).toBe(true);
  });

  it('reports the number as written, so the approver sees what was asked', () => {
    const action = parse(TARGETS[0], ENCODINGS.strategic!(4294967296));
    expect(action).toMatchObject({ scaleToZero: true, replicas: 4294967296 });
  });
});
