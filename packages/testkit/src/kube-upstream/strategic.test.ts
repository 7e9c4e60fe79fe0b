import { describe, expect, it } from 'vitest';
import { strategicMergePatch } from './strategic.js';

describe('strategicMergePatch', () => {
  const deployment = {
    spec: {
      replicas: 2,
      template: {
        spec: {
          containers: [
            { name: 'app', image: 'app:1', ports: [{ containerPort: 80 }] },
            { name: 'sidecar', image: 'proxy:1' },
          ],
        },
      },
    },
    metadata: { finalizers: ['a', 'b', 'c'] },
  };

  it('merges named list elements by name and drops $setElementOrder', () => {
    // What kubectl apply sends after a manifest changed one container's image.
    const patch = {
      spec: {
        template: {
          spec: {
            '$setElementOrder/containers': [{ name: 'app' }, { name: 'sidecar' }],
            containers: [{ image: 'app:2', name: 'app' }],
          },
        },
      },
    };
    expect(strategicMergePatch(deployment, patch)).toEqual({
      ...deployment,
      spec: {
        replicas: 2,
        template: {
          spec: {
            containers: [
              { name: 'app', image: 'app:2', ports: [{ containerPort: 80 }] },
              { name: 'sidecar', image: 'proxy:1' },
            ],
          },
        },
      },
    });
  });

  it('removes a named element with $patch: delete, appends new names, deletes fields on null', () => {
    const patch = {
      spec: {
        replicas: null,
        template: {
          spec: {
            containers: [
              { name: 'sidecar', $patch: 'delete' },
              { name: 'new', image: 'n:1' },
            ],
          },
        },
      },
    };
    expect(strategicMergePatch(deployment, patch)).toEqual({
      ...deployment,
      spec: {
        template: {
          spec: {
            containers: [
              { name: 'app', image: 'app:1', ports: [{ containerPort: 80 }] },
              { name: 'new', image: 'n:1' },
            ],
          },
        },
      },
    });
  });

  it('replaces unnamed lists and objects marked $patch: replace, and deletes from primitive lists', () => {
    const patch = {
      metadata: { '$deleteFromPrimitiveList/finalizers': ['b'] },
      spec: { template: { $patch: 'replace', spec: { containers: [] } } },
    };
    expect(strategicMergePatch(deployment, patch)).toEqual({
      metadata: { finalizers: ['a', 'c'] },
      spec: { replicas: 2, template: { spec: { containers: [] } } },
    });
  });
});
