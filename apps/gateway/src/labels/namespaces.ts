import { setTimeout as sleep } from 'node:timers/promises';
import { LABELS_DEFAULTS } from '@gatehouse/config';
import type { Clock } from '@gatehouse/lifecycle';
import type { GatewayMetrics } from '../metrics/index.js';
import { upstreamTarget } from '../routing/index.js';
import type { ClusterUpstream, UpstreamLogger } from '../upstream/index.js';

/** A namespace as the cache keeps it: what `namespaceSelector` and `namespaceObject` read. */
export interface CachedNamespace {
  readonly labels: Readonly<Record<string, string>>;
  /** `{ metadata: { name, labels, annotations } }`: the metadata only, as conditions read it. */
  readonly object: unknown;
}

/** The namespace, or why it is unknown (the `unknown` of a `LabelLookup`). */
export type NamespaceAnswer = { readonly namespace: CachedNamespace } | { readonly unknown: string };

export interface NamespaceCacheOptions {
  /** The cluster with the gateway's own credentials: never an agent's impersonated identity. */
  readonly upstream: ClusterUpstream;
  readonly clock: Clock;
  readonly metrics: Pick<
    GatewayMetrics,
    'namespaceCacheSynced' | 'namespaceCacheLastEvent' | 'namespaceCacheRelists'
  >;
  readonly logger: UpstreamLogger;
  /**
   * Labels older than this are unknown. The API server sends a bookmark about every minute on a
   * quiet watch (storage/cacher bookmarkFrequency), so a bound of a few minutes means the watch is dead.
   * @defaultValue 180000
   */
  readonly staleAfterMs?: number | undefined;
  /**
   * Namespaces per list request (`limit`); the rest follow by `continue`, as client-go's pager reads
   * them (tools/pager/pager.go defaultPageSize). @defaultValue 500
   */
  readonly listPageSize?: number | undefined;
  /** First wait after a failure, doubled up to `maxBackoffMs`. @defaultValue 500 */
  readonly backoffMs?: number | undefined;
  /** @defaultValue 30000 */
  readonly maxBackoffMs?: number | undefined;
}

interface NamespaceObject {
  readonly metadata?: {
    readonly name?: string;
    readonly resourceVersion?: string;
    readonly labels?: Record<string, string>;
    readonly annotations?: Record<string, string>;
  };
}

/** One page of `GET /api/v1/namespaces?limit=…`. */
interface NamespaceList {
  readonly metadata?: { readonly resourceVersion?: string; readonly continue?: string };
  readonly items?: readonly NamespaceObject[];
}

interface WatchEvent {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  readonly object: NamespaceObject & { readonly code?: number; readonly message?: string };
}

/** The watch (or list) must start over from a fresh list: the resourceVersion is too old. */
class Gone extends Error {}

/**
 * Every namespace of one cluster and its labels, kept by list then watch as client-go's reflector
 * does (tools/cache/reflector.go): list `/api/v1/namespaces`, watch from the list's resourceVersion
 * with bookmarks, resume a dropped watch from the last resourceVersion seen (bookmarks move it), and
 * list again only on 410 Gone, which the API server sends as an ERROR event carrying a Status with
 * code 410 ("too old resource version") or, before the watch starts, as the HTTP status.
 */
export class NamespaceCache {
  readonly #options: NamespaceCacheOptions;
  readonly #staleAfterMs: number;
  readonly #listPageSize: number;
  #namespaces = new Map<string, CachedNamespace>();
  readonly #abort = new AbortController();
  #synced = false;
  #resourceVersion: string | undefined;
  #lastEventAt: number | undefined;
  #running: Promise<void> | undefined;

  constructor(options: NamespaceCacheOptions) {
    this.#options = options;
    this.#staleAfterMs = options.staleAfterMs ?? LABELS_DEFAULTS.staleAfterMs;
    this.#listPageSize = options.listPageSize ?? LABELS_DEFAULTS.listPageSize;
    const cluster = options.upstream.name;
    options.metrics.namespaceCacheSynced.set({ cluster }, 0);
  }

  /** Lists and watches until {@link stop}. */
  start(): void {
    this.#running ??= this.#run();
  }

  /** Ends the watch and any wait for the next try; resolves when nothing of the cache runs any more. */
  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#running;
  }

  /** Seconds since the last list or watch event, for the staleness gauge; undefined before the first. */
  secondsSinceLastEvent(): number | undefined {
    return this.#lastEventAt === undefined
      ? undefined
      : (this.#options.clock.now() - this.#lastEventAt) / 1000;
  }

  /** The namespace as last seen, or why it is unknown (fail closed: see `LabelLookup`). */
  lookup(name: string): NamespaceAnswer {
    const cluster = this.#options.upstream.name;
    if (!this.#synced) return { unknown: `the namespace cache of cluster ${cluster} has not synced` };
    const age = this.#options.clock.now() - (this.#lastEventAt ?? 0);
    if (age > this.#staleAfterMs) {
      return {
        unknown: `the namespace cache of cluster ${cluster} is stale: nothing heard from the watch for ${Math.round(age / 1000)} s`,
      };
    }
    const namespace = this.#namespaces.get(name);
    if (!namespace)
      return { unknown: `namespace ${name} is not in the namespace cache of cluster ${cluster}` };
    return { namespace };
  }

  async #run(): Promise<void> {
    const { backoffMs = 500, maxBackoffMs = 30_000 } = this.#options;
    let wait = backoffMs;
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      try {
        if (this.#resourceVersion === undefined) await this.#list(signal);
        await this.#watch(signal);
        // The server ended the watch (its timeout): resume at once from where it stopped.
        wait = backoffMs;
        continue;
      } catch (error) {
        if (signal.aborted) return;
        if (error instanceof Gone) {
          this.#resourceVersion = undefined;
          this.#relisted(`the watch resourceVersion expired (${error.message})`);
          continue;
        }
        this.#options.logger.warn(
          { cluster: this.#options.upstream.name, err: error, retryInMs: wait },
          'namespace list/watch failed; namespace labels stay as last seen until stale',
        );
      }
      await sleep(wait, undefined, { signal }).catch(() => undefined);
      wait = Math.min(wait * 2, maxBackoffMs);
    }
  }

  async #send(query: URLSearchParams, signal: AbortSignal) {
    const { upstream } = this.#options;
    const response = await upstream.dispatcher.request({
      origin: upstream.url.origin,
      path: upstreamTarget(upstream.url, { path: '/api/v1/namespaces', query: query.toString() }),
      method: 'GET',
      headers: {
        accept: 'application/json',
        'user-agent': 'gatehouse-gateway/namespace-cache',
        ...(await upstream.authHeaders()),
      },
      signal,
    });
    if (response.statusCode === 410) {
      const status = (await response.body.json().catch(() => undefined)) as { message?: string } | undefined;
      throw new Gone(
        `HTTP 410 to ${query.has('watch') ? 'watch' : 'list'}${status?.message ? `: ${status.message}` : ''}`,
      );
    }
    if (response.statusCode !== 200) {
      const text = await response.body.text();
      throw new Error(
        `cluster ${upstream.name} answered ${response.statusCode} to GET /api/v1/namespaces: ${text.slice(0, 300)}`,
      );
    }
    return response;
  }

  /**
   * Lists in pages as client-go's pager does (tools/pager/pager.go List): `limit`, then each
   * `metadata.continue` until it is empty. A continue token the API server no longer honours (410
   * Expired: etcd compacted the revision it is bound to, etcd3/errors.go) falls back, as the pager's
   * FullListIfExpired does, to one list without `limit`. The new set replaces the old only once every
   * page has arrived: a failure part-way keeps what was known (and an unsynced cache unsynced).
   */
  async #list(signal: AbortSignal): Promise<void> {
    const listed = new Map<string, CachedNamespace>();
    let page: NamespaceList | undefined;
    do {
      const token = page?.metadata?.continue;
      const query = new URLSearchParams({ limit: String(this.#listPageSize) });
      if (token) query.set('continue', token);
      try {
        page = await this.#listPage(query, signal);
      } catch (error) {
        if (!(error instanceof Gone) || !token) throw error;
        this.#relisted(`the list's continue token expired (${error.message}); listing without pages`);
        listed.clear();
        page = await this.#listPage(new URLSearchParams(), signal);
      }
      for (const item of page.items ?? []) keep(listed, item);
    } while (page.metadata?.continue);
    this.#namespaces = listed;
    // Every page reports the first page's resourceVersion (the etcd3 store reads continued pages at
    // the token's revision), so the watch resumes from the snapshot all pages showed.
    this.#resourceVersion = page.metadata?.resourceVersion;
    this.#heard();
    this.#synced = true;
    this.#options.metrics.namespaceCacheSynced.set({ cluster: this.#options.upstream.name }, 1);
  }

  /**
   * One list request, given up after the staleness bound: a list that never answers would otherwise
   * keep the cache unsynced (or stale) for good, where listing again may reach a working server.
   */
  async #listPage(query: URLSearchParams, signal: AbortSignal): Promise<NamespaceList> {
    const deadline = AbortSignal.timeout(this.#staleAfterMs);
    try {
      const response = await this.#send(query, AbortSignal.any([signal, deadline]));
      return (await response.body.json()) as NamespaceList;
    } catch (error) {
      if (deadline.aborted && !signal.aborted) {
        throw new Error(`the namespace list was not answered in ${this.#staleAfterMs} ms`, { cause: error });
      }
      throw error;
    }
  }

  #relisted(reason: string): void {
    this.#options.metrics.namespaceCacheRelists.inc({ cluster: this.#options.upstream.name });
    this.#options.logger.info({ cluster: this.#options.upstream.name, reason }, 'listing namespaces again');
  }

  /**
   * A watch that goes quiet for longer than the staleness bound is dead (a half-open connection, a
   * proxy that stopped forwarding: the API server bookmarks a live one every minute), so it is
   * abandoned and resumed rather than left to hang while every lookup reports stale.
   */
  async #watch(signal: AbortSignal): Promise<void> {
    const query = new URLSearchParams({
      watch: 'true',
      allowWatchBookmarks: 'true',
      resourceVersion: this.#resourceVersion ?? '',
    });
    const idle = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const quietFor = () => {
      clearTimeout(timer);
      timer = setTimeout(() => idle.abort(), this.#staleAfterMs);
    };
    quietFor();
    try {
      const response = await this.#send(query, AbortSignal.any([signal, idle.signal]));
      this.#heard();
      let buffered = '';
      for await (const chunk of response.body) {
        quietFor();
        buffered += (chunk as Buffer).toString('utf8');
        let newline = buffered.indexOf('\n');
        while (newline >= 0) {
          const line = buffered.slice(0, newline).trim();
          buffered = buffered.slice(newline + 1);
          if (line) this.#apply(JSON.parse(line) as WatchEvent);
          newline = buffered.indexOf('\n');
        }
      }
    } catch (error) {
      if (idle.signal.aborted && !signal.aborted) {
        throw new Error(`the namespace watch was silent for ${this.#staleAfterMs} ms`, { cause: error });
      }
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  #apply(event: WatchEvent): void {
    if (event.type === 'ERROR') {
      if (event.object.code === 410) throw new Gone(event.object.message ?? 'watch ERROR 410');
      throw new Error(`namespace watch ERROR: ${event.object.message ?? JSON.stringify(event.object)}`);
    }
    const name = event.object.metadata?.name;
    if (event.type === 'DELETED' && name !== undefined) this.#namespaces.delete(name);
    else if (event.type !== 'BOOKMARK') keep(this.#namespaces, event.object);
    this.#resourceVersion = event.object.metadata?.resourceVersion ?? this.#resourceVersion;
    this.#heard();
  }

  #heard(): void {
    this.#lastEventAt = this.#options.clock.now();
  }
}

/** Adds or replaces the namespace an object describes, as selectors and conditions read it. */
function keep(namespaces: Map<string, CachedNamespace>, object: NamespaceObject): void {
  const metadata = object.metadata;
  if (metadata?.name === undefined) return;
  const labels = metadata.labels ?? {};
  namespaces.set(metadata.name, {
    labels,
    object: { metadata: { name: metadata.name, labels, annotations: metadata.annotations ?? {} } },
  });
}
