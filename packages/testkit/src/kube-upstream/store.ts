import { randomUUID } from 'node:crypto';
import { converge } from './controllers.js';
import { apiVersionOf, RESOURCE_TYPES, type ResourceType, resourceTypeForObject } from './resources.js';
import { alreadyExists, badRequest, conflict, gone, notFound } from './status.js';

export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  [key: string]: unknown;
}

/** Any Kubernetes object; the store only relies on apiVersion, kind and metadata. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  readonly type: WatchEventType;
  readonly object: KubeObject;
  readonly resourceType: ResourceType;
  readonly resourceVersion: number;
}

type Listener = (event: StoreEvent) => void;

/** A change as history keeps it: with the object as it was before, so a read at an older revision can undo it. */
interface Change {
  readonly event: StoreEvent;
  readonly previous: KubeObject | undefined;
}

/** Events kept for `watch` from a resourceVersion; older ones answer 410 Gone, as a real API server does. */
const HISTORY_LIMIT = 1000;

const INITIAL_NAMESPACES = ['default', 'kube-system', 'kube-public'];

const keyOf = (t: ResourceType, namespace: string | undefined, name: string): string =>
  `${t.group}/${t.resource}/${namespace ?? ''}/${name}`;

/**
 * Where etcd keeps an object under its resource's prefix (`/registry/pods/` + `prod/web-1`,
 * `/registry/namespaces/` + `prod`): lists come back in this key's byte order, and a continue token
 * names the key to go on from.
 */
export const storageKey = (o: KubeObject): string =>
  o.metadata.namespace === undefined ? o.metadata.name : `${o.metadata.namespace}/${o.metadata.name}`;

/** etcd's order: by key, byte for byte (names are ASCII), not by locale. */
const byKey = (a: KubeObject, b: KubeObject): number => {
  const [x, y] = [storageKey(a), storageKey(b)];
  return x < y ? -1 : x > y ? 1 : 0;
};

const target = (t: ResourceType, name: string) => ({ kind: t.resource, group: t.group || undefined, name });

/**
 * The fake cluster's objects. Objects are stored under group + resource (not version), so an
 * object put as autoscaling/v1 is also read as autoscaling/v2, as with a real API server.
 */
export class ObjectStore {
  #objects = new Map<string, { type: ResourceType; object: KubeObject }>();
  #listeners = new Set<Listener>();
  #history: Change[] = [];
  #resourceVersion = 0;

  constructor() {
    this.#seed();
  }

  /** The latest resourceVersion handed out; list responses carry it. */
  get resourceVersion(): number {
    return this.#resourceVersion;
  }

  /**
   * Inserts or replaces a fixture object, inferring its resource from apiVersion and kind, creating
   * its namespace when missing. Returns the stored copy (with uid, resourceVersion...).
   */
  put(object: KubeObject): KubeObject {
    const t = resourceTypeForObject(object.apiVersion, object.kind);
    if (!t) throw badRequest(`no resource serves apiVersion ${object.apiVersion} kind ${object.kind}`);
    const namespace = t.namespaced ? (object.metadata.namespace ?? 'default') : undefined;
    if (namespace !== undefined && !this.get(NAMESPACES, undefined, namespace)) {
      this.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
    }
    const existing = this.get(t, namespace, object.metadata.name);
    const stored = this.#stamp(t, namespace, object, existing);
    this.#write(t, stored, existing ? 'MODIFIED' : 'ADDED');
    return structuredClone(stored);
  }

  get(t: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    const entry = this.#objects.get(keyOf(t, t.namespaced ? namespace : undefined, name));
    return entry ? this.#asVersion(t, entry.object) : undefined;
  }

  /** Objects of one resource, in one namespace or (namespace undefined) in all, in etcd's key order. */
  list(t: ResourceType, namespace?: string): KubeObject[] {
    return [...this.#objects.values()]
      .filter((e) => e.type.group === t.group && e.type.resource === t.resource)
      .filter((e) => namespace === undefined || e.object.metadata.namespace === namespace)
      .map((e) => this.#asVersion(t, e.object))
      .sort(byKey);
  }

  /** Shorthand for tests: `store.find('deployments.apps', 'prod', 'web')`, `store.find('namespaces', undefined, 'x')`. */
  find(resource: string, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.get(resolveResource(resource), namespace, name);
  }

  /** Shorthand for tests: deletes like the API would (watchers see DELETED): `store.remove('pods', 'prod', 'web-1')`. */
  remove(resource: string, namespace: string | undefined, name: string): KubeObject {
    return this.delete(resolveResource(resource), namespace, name);
  }

  /**
   * `dryRun` (`?dryRun=All`): every check and the answer as the API server gives it, nothing stored,
   * no resourceVersion used — apiserver registry/generic/registry/dryrun.go: `Create` fails with
   * KeyExists like a real create and otherwise answers the object, `GuaranteedUpdate` runs the update
   * function on the stored object (preconditions checked) and answers its result; neither writes.
   */
  create(
    t: ResourceType,
    namespace: string | undefined,
    object: KubeObject,
    options: { readonly dryRun?: boolean } = {},
  ): KubeObject {
    const name = object.metadata?.name;
    if (!name) throw badRequest('metadata.name: Required value: name is required');
    if (this.get(t, namespace, name)) throw alreadyExists(target(t, name));
    if (t.namespaced && namespace !== undefined && !this.get(NAMESPACES, undefined, namespace)) {
      throw notFound({ kind: 'namespaces', name: namespace });
    }
    const stored = this.#stamp(t, namespace, object, undefined, options.dryRun);
    if (options.dryRun) return stored;
    this.#write(t, stored, 'ADDED');
    return structuredClone(stored);
  }

  /**
   * Replaces an existing object; a stale metadata.resourceVersion in `object` is a 409 Conflict, as the
   * generic store's Update answers it (pkg/registry/generic/registry/store.go: a resourceVersion that
   * differs from the stored one is `kubeerr.NewConflict(qualifiedResource, name,
   * fmt.Errorf(OptimisticLockErrorMsg))`). A patch carrying `metadata.resourceVersion` leaves it on the
   * patched object (staging/src/k8s.io/apiserver/pkg/endpoints/handlers/patch.go applies the patch to
   * the live object, then updates), so it is the same optimistic lock. Dry runs take the same path.
   */
  update(
    t: ResourceType,
    namespace: string | undefined,
    object: KubeObject,
    options: { readonly dryRun?: boolean } = {},
  ): KubeObject {
    const name = object.metadata.name;
    const existing = this.get(t, namespace, name);
    if (!existing) throw notFound(target(t, name));
    const sent = object.metadata.resourceVersion;
    if (sent && sent !== existing.metadata.resourceVersion) {
      throw conflict(
        target(t, name),
        'the object has been modified; please apply your changes to the latest version and try again',
      );
    }
    const stored = this.#stamp(t, namespace, object, existing, options.dryRun);
    if (options.dryRun) return stored;
    this.#write(t, stored, 'MODIFIED');
    return structuredClone(stored);
  }

  /** Deletes an object (a namespace takes its objects with it) and returns it as last seen. */
  delete(t: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const existing = this.get(t, namespace, name);
    if (!existing) throw notFound(target(t, name));
    if (t === NAMESPACES || (t.group === '' && t.resource === 'namespaces')) {
      for (const entry of [...this.#objects.values()]) {
        if (entry.type.namespaced && entry.object.metadata.namespace === name) {
          this.delete(entry.type, name, entry.object.metadata.name);
        }
      }
    }
    this.#objects.delete(keyOf(t, t.namespaced ? namespace : undefined, name));
    const gone = {
      ...existing,
      metadata: { ...existing.metadata, resourceVersion: String(++this.#resourceVersion) },
    };
    this.#emit(
      { type: 'DELETED', object: gone, resourceType: t, resourceVersion: this.#resourceVersion },
      existing,
    );
    return structuredClone(gone);
  }

  /** Calls `listener` for every later change; returns the unsubscribe function. */
  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Events after `resourceVersion`, for a watch that resumes from a list. */
  eventsSince(resourceVersion: number): StoreEvent[] {
    if (this.isCompacted(resourceVersion)) {
      throw gone(`too old resource version: ${resourceVersion} (${this.#oldestKept()})`);
    }
    return this.#history.filter((c) => c.event.resourceVersion > resourceVersion).map((c) => c.event);
  }

  /**
   * Whether reads at `resourceVersion` are no longer possible: older than the changes kept, as etcd
   * answers ErrCompacted for a revision its compaction removed (watches and continued lists then get 410).
   */
  isCompacted(resourceVersion: number): boolean {
    return resourceVersion < this.#oldestKept() && resourceVersion < this.#resourceVersion;
  }

  /**
   * Forgets every change up to now, as etcd's periodic compaction does (the API server's
   * --etcd-compaction-interval, 5 minutes by default): a watch or a continued list from an older
   * resourceVersion is then answered 410 Expired.
   */
  compact(): void {
    this.#history = [];
  }

  /**
   * Objects of one resource as they were at `resourceVersion` (etcd's read at a revision), sorted like
   * {@link list}: the current ones with every later change undone. The caller checks {@link isCompacted}.
   */
  listAt(t: ResourceType, namespace: string | undefined, resourceVersion: number): KubeObject[] {
    const inScope = (o: KubeObject) => namespace === undefined || o.metadata.namespace === namespace;
    const objects = new Map(this.list(t, namespace).map((o) => [storageKey(o), o]));
    for (const { event, previous } of [...this.#history].reverse()) {
      if (event.resourceVersion <= resourceVersion) break;
      const sameType = event.resourceType.group === t.group && event.resourceType.resource === t.resource;
      if (!sameType || !inScope(event.object)) continue;
      if (previous) objects.set(storageKey(previous), this.#asVersion(t, previous));
      else objects.delete(storageKey(event.object));
    }
    return [...objects.values()].sort(byKey);
  }

  /** Removes every object (watchers see nothing: it is a test reset, not an API call) and re-seeds namespaces. */
  clear(): void {
    this.#objects.clear();
    this.#history = [];
    this.#seed();
  }

  #seed(): void {
    for (const name of INITIAL_NAMESPACES) {
      const object = this.#stamp(
        NAMESPACES,
        undefined,
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
        undefined,
      );
      this.#objects.set(keyOf(NAMESPACES, undefined, name), { type: NAMESPACES, object });
    }
  }

  #stamp(
    t: ResourceType,
    namespace: string | undefined,
    object: KubeObject,
    existing: KubeObject | undefined,
    dryRun = false,
  ): KubeObject {
    const copy = structuredClone(object);
    // A dry run stores nothing, so it takes no resourceVersion: an update answers the stored one, a create none.
    const resourceVersion = dryRun ? existing?.metadata.resourceVersion : String(++this.#resourceVersion);
    const metadata: ObjectMeta = {
      ...copy.metadata,
      ...(t.namespaced ? { namespace } : {}),
      uid: existing?.metadata.uid ?? copy.metadata.uid ?? randomUUID(),
      creationTimestamp:
        existing?.metadata.creationTimestamp ??
        copy.metadata.creationTimestamp ??
        new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      generation: (existing?.metadata.generation ?? 0) + 1,
      ...(resourceVersion !== undefined && { resourceVersion }),
    };
    if (!t.namespaced) delete metadata.namespace;
    const stored: KubeObject = { ...copy, apiVersion: apiVersionOf(t), kind: t.kind, metadata };
    if (t.group === '' && t.resource === 'namespaces') stored.status ??= { phase: 'Active' };
    // Controllers act on what was stored; a dry run stores nothing, so its status stays as it was (the
    // API server's update strategies also keep the old status on a write to the main resource).
    return dryRun ? stored : converge(t, stored);
  }

  #write(t: ResourceType, object: KubeObject, eventType: WatchEventType): void {
    const key = keyOf(t, object.metadata.namespace, object.metadata.name);
    const previous = this.#objects.get(key)?.object;
    this.#objects.set(key, { type: t, object });
    this.#emit(
      { type: eventType, object, resourceType: t, resourceVersion: Number(object.metadata.resourceVersion) },
      previous,
    );
  }

  /** The resourceVersion of the oldest change kept, less one: reads from there on are still possible. */
  #oldestKept(): number {
    return (this.#history[0]?.event.resourceVersion ?? this.#resourceVersion + 1) - 1;
  }

  #emit(event: StoreEvent, previous: KubeObject | undefined): void {
    this.#history.push({ event, previous });
    if (this.#history.length > HISTORY_LIMIT) this.#history.shift();
    for (const listener of this.#listeners) listener(event);
  }

  /** Objects are kept in the version they were written; reading through another version relabels them. */
  #asVersion(t: ResourceType, object: KubeObject): KubeObject {
    return { ...structuredClone(object), apiVersion: apiVersionOf(t) };
  }
}

export const NAMESPACES = RESOURCE_TYPES.find((t) => t.resource === 'namespaces') as ResourceType;

/** `deployments.apps` → the apps deployments type; `pods` → core pods (preferred version). */
export function resolveResource(resource: string): ResourceType {
  const [plural, ...groupParts] = resource.split('.');
  const group = groupParts.join('.');
  const t = RESOURCE_TYPES.find((r) => r.resource === plural && r.group === group);
  if (!t) throw badRequest(`unknown resource "${resource}"; use plural.group, e.g. deployments.apps`);
  return t;
}
