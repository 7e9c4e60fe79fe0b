import type { Clock } from '@gatehouse/lifecycle';
import type { Action, LabelsNeeded, PolicyContext } from '@gatehouse/policy';
import type { ClusterUpstream, UpstreamLogger } from '../upstream/index.js';
import { NamespaceCache, type NamespaceCacheOptions } from './namespaces.js';
import { type ObjectLabelOptions, ObjectLabelReader } from './objects.js';

export { NamespaceCache, type NamespaceCacheOptions } from './namespaces.js';
export { type ObjectLabelOptions, ObjectLabelReader, objectPath } from './objects.js';

/** What the policy reads about a request's namespace and object, as far as the gateway looked them up. */
export type LabelContext = Pick<
  PolicyContext,
  'namespaceLabels' | 'namespaceObject' | 'objectLabels' | 'oldObject'
>;

/** The labels a request's policy context carries (ports.ts); absent when no rule reads any. */
export interface LabelsPort {
  lookup(upstream: ClusterUpstream, action: Action): Promise<LabelContext>;
}

export interface GatewayLabelsOptions {
  readonly needed: LabelsNeeded;
  /** Each cluster with the gateway's own credentials. */
  readonly clusters: ReadonlyMap<string, ClusterUpstream>;
  readonly clock: Clock;
  readonly metrics: NamespaceCacheOptions['metrics'];
  readonly logger: UpstreamLogger;
  readonly namespaceCache?:
    | Pick<NamespaceCacheOptions, 'staleAfterMs' | 'listPageSize' | 'backoffMs' | 'maxBackoffMs'>
    | undefined;
  readonly objects?: ObjectLabelOptions | undefined;
}

/** The namespace caches (one per cluster) and the object reader, each only where the policy needs it. */
export class GatewayLabels implements LabelsPort {
  readonly #caches: ReadonlyMap<string, NamespaceCache>;
  readonly #objects: ObjectLabelReader | undefined;

  constructor(options: GatewayLabelsOptions) {
    const caches = new Map<string, NamespaceCache>();
    if (options.needed.namespaces) {
      for (const [name, upstream] of options.clusters) {
        const { clock, metrics, logger } = options;
        caches.set(name, new NamespaceCache({ upstream, clock, metrics, logger, ...options.namespaceCache }));
      }
    }
    this.#caches = caches;
    this.#objects = options.needed.objects ? new ObjectLabelReader(options.objects) : undefined;
  }

  /** True when some rule reads labels: otherwise the gateway neither watches nor reads. */
  get active(): boolean {
    return this.#caches.size > 0 || this.#objects !== undefined;
  }

  start(): void {
    for (const cache of this.#caches.values()) cache.start();
  }

  async stop(): Promise<void> {
    await Promise.all([...this.#caches.values()].map((cache) => cache.stop()));
  }

  /** For the staleness gauge. */
  ages(): readonly { readonly cluster: string; readonly seconds: number | undefined }[] {
    return [...this.#caches].map(([cluster, cache]) => ({ cluster, seconds: cache.secondsSinceLastEvent() }));
  }

  /**
   * Namespaces come from the cache (no request). The object is read only for a request that changes
   * or connects to a named object: a read does not need its own labels read first, and a GET per
   * get/list/watch would double the cluster's read traffic.
   */
  async lookup(upstream: ClusterUpstream, action: Action): Promise<LabelContext> {
    if (action.kind !== 'resource') return {};
    const context: { -readonly [K in keyof LabelContext]: LabelContext[K] } = {};
    const cache = this.#caches.get(upstream.name);
    if (cache && action.namespace !== undefined) {
      const answer = cache.lookup(action.namespace);
      if ('namespace' in answer) {
        context.namespaceLabels = { labels: answer.namespace.labels };
        context.namespaceObject = answer.namespace.object;
      } else {
        context.namespaceLabels = answer;
      }
    }
    if (this.#objects && !action.readOnly && action.name !== undefined) {
      const read = await this.#objects.read(upstream, action);
      context.objectLabels = read.labels;
      if (read.object !== undefined) context.oldObject = read.object;
    }
    return context;
  }
}
