import { describe, expect, it } from 'vitest';
import { KubeStatusError } from '../errors.js';
import { deployment, namespace, pod } from './fixtures.js';
import { ObjectStore, resolveResource, type StoreEvent } from './store.js';

const PODS = resolveResource('pods');
const DEPLOYMENTS = resolveResource('deployments.apps');

const reasonOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (error) {
    if (error instanceof KubeStatusError) return error.status.reason;
    throw error;
  }
  return undefined;
};

describe('ObjectStore', () => {
  it('starts with the default namespaces and stamps uid, resourceVersion and creationTimestamp', () => {
    const store = new ObjectStore();
    expect(store.find('namespaces', undefined, 'default')?.status).toEqual({ phase: 'Active' });
    const stored = store.put(pod({ name: 'a', namespace: 'new-ns' }));
    expect(stored.metadata).toMatchObject({ name: 'a', namespace: 'new-ns', uid: expect.any(String) });
    expect(Number(stored.metadata.resourceVersion)).toBe(store.resourceVersion);
    expect(store.find('namespaces', undefined, 'new-ns')).toBeDefined();
  });

  it('refuses duplicates, creates in missing namespaces and stale updates with Status reasons', () => {
    const store = new ObjectStore();
    const first = store.create(PODS, 'default', pod({ name: 'a' }));
    expect(reasonOf(() => store.create(PODS, 'default', pod({ name: 'a' })))).toBe('AlreadyExists');
    expect(reasonOf(() => store.create(PODS, 'nowhere', pod({ name: 'b', namespace: 'nowhere' })))).toBe(
      'NotFound',
    );
    store.update(PODS, 'default', { ...first, spec: { changed: true } });
    expect(reasonOf(() => store.update(PODS, 'default', first))).toBe('Conflict');
    expect(reasonOf(() => store.delete(PODS, 'default', 'ghost'))).toBe('NotFound');
  });

  it('deletes a namespace with its objects, announcing each deletion', () => {
    const store = new ObjectStore();
    store.put(namespace('prod'));
    store.put(pod({ name: 'a', namespace: 'prod' }));
    store.put(pod({ name: 'b', namespace: 'other' }));
    const events: StoreEvent[] = [];
    store.subscribe((e) => events.push(e));
    store.delete(resolveResource('namespaces'), undefined, 'prod');
    expect(events.map((e) => `${e.type} ${e.resourceType.resource}/${e.object.metadata.name}`)).toEqual([
      'DELETED pods/a',
      'DELETED namespaces/prod',
    ]);
    expect(store.list(PODS).map((p) => p.metadata.name)).toEqual(['b']);
  });

  it('replays events after a resourceVersion, and answers 410 for one older than its history', () => {
    const store = new ObjectStore();
    const from = store.resourceVersion;
    store.put(pod({ name: 'a' }));
    store.put(pod({ name: 'a' }));
    expect(store.eventsSince(from).map((e) => e.type)).toEqual(['ADDED', 'MODIFIED']);
    for (let i = 0; i < 1001; i++) store.put(pod({ name: `p${i}` }));
    expect(reasonOf(() => store.eventsSince(from))).toBe('Expired');
  });

  it('converges deployments: status follows spec.replicas and generation', () => {
    const store = new ObjectStore();
    const stored = store.put(deployment({ name: 'web' }, 4));
    const scaled = store.update(DEPLOYMENTS, 'default', {
      ...stored,
      spec: { ...(stored.spec as object), replicas: 0 },
    });
    expect(scaled.status).toMatchObject({
      replicas: 0,
      readyReplicas: 0,
      observedGeneration: scaled.metadata.generation,
    });
  });
});
