import type { PinnedTarget } from '@gatehouse/approvals';
import { describe, expect, it } from 'vitest';
import { extraHeaderName, staleReason, withPreconditions } from './index.js';

const ns: PinnedTarget = {
  kind: 'namespace',
  name: 'payments-staging',
  uid: 'uid-a',
  resourceVersion: '10',
  contents: { workloads: 3, pods: 12, pvcs: 2 },
};
const pod: PinnedTarget = {
  kind: 'pod',
  name: 'web-1',
  namespace: 'prod',
  uid: 'uid-p',
  resourceVersion: '7',
};

describe('staleReason', () => {
  it('is undefined for the same target, and names a recreated, changed, gone or grown one', () => {
    expect(staleReason(ns, ns, { session: false })).toBeUndefined();
    expect(staleReason(ns, { ...ns, uid: 'uid-b' }, { session: false })).toBe(
      'namespace payments-staging was recreated after it was approved (uid uid-a, now uid-b); nothing was sent; re-run to ask again',
    );
    expect(staleReason(pod, { ...pod, uid: 'uid-q' }, { session: true })).toBe(
      'pod web-1 in namespace prod was replaced by another pod of the same name after it was approved (uid uid-p, now uid-q); nothing was sent; re-run to ask again',
    );
    expect(staleReason(ns, { ...ns, resourceVersion: '11' }, { session: false })).toMatch(
      /^namespace payments-staging changed after it was approved \(resourceVersion 10, now 11\)/,
    );
    expect(staleReason(ns, undefined, { session: false })).toMatch(/no longer exists/);
    const grown = { ...ns, contents: { workloads: 5, pods: 12, pvcs: 3 } };
    expect(staleReason(ns, grown, { session: false })).toBe(
      'namespace payments-staging holds more than when it was approved (workloads 3 → 5, PVCs 2 → 3); nothing was sent; re-run to ask again',
    );
    // Fewer is not more; contents not read again (recheckOnDispatch off) is not compared.
    expect(
      staleReason(ns, { ...ns, contents: { workloads: 1, pods: 0, pvcs: 0 } }, { session: false }),
    ).toBeUndefined();
    expect(staleReason(ns, { ...ns, contents: undefined }, { session: false })).toBeUndefined();
  });

  it("ignores a pod's resourceVersion for a session (status updates move it)", () => {
    expect(staleReason(pod, { ...pod, resourceVersion: '99' }, { session: true })).toBeUndefined();
    expect(staleReason(pod, { ...pod, resourceVersion: '99' }, { session: false })).toMatch(/changed after/);
  });
});

describe('withPreconditions', () => {
  const json = (value: unknown) => Buffer.from(JSON.stringify(value));
  const parse = (body: Buffer | undefined) => JSON.parse(body?.toString() ?? 'null');

  it("merges preconditions into kubectl's DeleteOptions, or writes DeleteOptions when there were none", () => {
    const kubectl = { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' };
    const merged = withPreconditions(
      { method: 'DELETE', contentType: 'application/json', body: json(kubectl) },
      ns,
    );
    expect(parse(merged?.body)).toEqual({
      ...kubectl,
      preconditions: { uid: 'uid-a', resourceVersion: '10' },
    });
    expect(merged?.contentType).toBeUndefined();
    const none = withPreconditions({ method: 'DELETE', contentType: undefined, body: undefined }, ns);
    expect(parse(none?.body)).toEqual({
      kind: 'DeleteOptions',
      apiVersion: 'v1',
      preconditions: { uid: 'uid-a', resourceVersion: '10' },
    });
    expect(none?.contentType).toBe('application/json');
    // A client's own precondition stays: it can only make the delete stricter.
    const own = withPreconditions(
      { method: 'DELETE', contentType: 'application/json', body: json({ preconditions: { uid: 'mine' } }) },
      ns,
    );
    expect(parse(own?.body).preconditions).toEqual({ uid: 'mine', resourceVersion: '10' });
    expect(
      withPreconditions(
        {
          method: 'DELETE',
          contentType: 'application/vnd.kubernetes.protobuf',
          body: Buffer.from([0x6b, 0x38]),
        },
        ns,
      ),
    ).toBeUndefined();
  });

  it('locks merge, strategic and JSON patches and PUTs on the resourceVersion; never server-side apply', () => {
    const patch = { spec: { replicas: 0 } };
    for (const type of ['application/merge-patch+json', 'application/strategic-merge-patch+json']) {
      const locked = withPreconditions({ method: 'PATCH', contentType: type, body: json(patch) }, pod);
      expect(parse(locked?.body)).toEqual({ spec: { replicas: 0 }, metadata: { resourceVersion: '7' } });
    }
    const ops = [{ op: 'replace', path: '/spec/replicas', value: 0 }];
    const jsonPatch = withPreconditions(
      { method: 'PATCH', contentType: 'application/json-patch+json', body: json(ops) },
      pod,
    );
    expect(parse(jsonPatch?.body)).toEqual([
      { op: 'add', path: '/metadata/resourceVersion', value: '7' },
      ...ops,
    ]);
    const put = withPreconditions(
      { method: 'PUT', contentType: 'application/json', body: json({ metadata: { name: 'web-1' } }) },
      pod,
    );
    expect(parse(put?.body).metadata).toEqual({ name: 'web-1', resourceVersion: '7' });
    const apply = { method: 'PATCH', contentType: 'application/apply-patch+yaml', body: json(patch) };
    expect(withPreconditions(apply, pod)).toBeUndefined();
    // The client's own lock is its own.
    const ownLock = json({ metadata: { resourceVersion: '3' } });
    expect(
      withPreconditions({ method: 'PATCH', contentType: 'application/merge-patch+json', body: ownLock }, pod),
    ).toBeUndefined();
  });
});

describe('extraHeaderName', () => {
  it('percent-encodes the key as client-go does, so the API server decodes gatehouse.dev/approval-id', () => {
    expect(extraHeaderName('gatehouse.dev/approval-id')).toBe(
      'impersonate-extra-gatehouse.dev%2Fapproval-id',
    );
    expect(extraHeaderName('a%b c')).toBe('impersonate-extra-a%25b%20c');
    expect(
      decodeURIComponent(extraHeaderName('gatehouse.dev/approved-by').slice('impersonate-extra-'.length)),
    ).toBe('gatehouse.dev/approved-by');
  });
});
