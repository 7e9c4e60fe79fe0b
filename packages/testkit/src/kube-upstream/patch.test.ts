import { describe, expect, it } from 'vitest';
import { KubeStatusError } from '../errors.js';
import { jsonPatch, mergePatch } from './patch.js';

describe('mergePatch (RFC 7386)', () => {
  it('merges objects, replaces lists and scalars, deletes on null', () => {
    const target = { spec: { replicas: 3, template: { image: 'a' }, ports: [1, 2] }, keep: true };
    const patched = mergePatch(target, { spec: { replicas: 0, ports: [3], template: null } });
    expect(patched).toEqual({ spec: { replicas: 0, ports: [3] }, keep: true });
    expect(target.spec.replicas).toBe(3);
  });
});

describe('jsonPatch (RFC 6902)', () => {
  const doc = { metadata: { labels: { a: '1' } }, spec: { containers: [{ name: 'x' }] } };

  it('adds, replaces, removes, moves, copies and tests', () => {
    const patched = jsonPatch(doc, [
      { op: 'add', path: '/metadata/labels/b', value: '2' },
      { op: 'replace', path: '/metadata/labels/a', value: '9' },
      { op: 'add', path: '/spec/containers/-', value: { name: 'y' } },
      { op: 'copy', from: '/metadata/labels/b', path: '/metadata/labels/c' },
      { op: 'move', from: '/metadata/labels/c', path: '/metadata/labels/d' },
      { op: 'remove', path: '/spec/containers/0' },
      { op: 'test', path: '/metadata/labels/d', value: '2' },
    ]);
    expect(patched).toEqual({
      metadata: { labels: { a: '9', b: '2', d: '2' } },
      spec: { containers: [{ name: 'y' }] },
    });
    expect(doc.metadata.labels).toEqual({ a: '1' });
  });

  it('escapes ~1 and ~0 in pointers', () => {
    expect(jsonPatch({ a: {} }, [{ op: 'add', path: '/a/x~1y~0z', value: 1 }])).toEqual({
      a: { 'x/y~z': 1 },
    });
  });

  it('refuses a failed test, a missing path and an unknown op with a 400 Status', () => {
    for (const ops of [
      [{ op: 'test', path: '/metadata/labels/a', value: 'nope' }],
      [{ op: 'remove', path: '/spec/missing' }],
      [{ op: 'replace', path: '/nothing/here', value: 1 }],
      [{ op: 'frobnicate', path: '/spec' }],
      { not: 'an array' },
    ]) {
      expect(() => jsonPatch(doc, ops)).toThrow(KubeStatusError);
    }
  });
});
