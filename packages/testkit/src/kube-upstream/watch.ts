import type { ServerResponse } from 'node:http';
import { KubeStatusError } from '../errors.js';
import { queryFlag } from './go-url.js';
import type { ApiRequest } from './rest.js';
import { selectorOf } from './rest.js';
import type { ResourceRoute } from './routes.js';
import type { KubeObject, ObjectStore, StoreEvent } from './store.js';
import { toTable, wantsTable } from './table.js';

/** Open watch streams, so a test (or close()) can end them. */
export class Watches {
  #open = new Set<() => void>();

  add(end: () => void): () => void {
    this.#open.add(end);
    return () => this.#open.delete(end);
  }

  get size(): number {
    return this.#open.size;
  }

  /** Ends every open watch cleanly (the stream closes, as when the API server's watch timeout fires). */
  endAll(): void {
    for (const end of [...this.#open]) end();
  }
}

/** The cacher's bookmarkFrequency (time.Minute). */
const BOOKMARK_FREQUENCY_MS = 60_000;
/** The API server's --min-request-timeout default (1800 s). */
const MIN_REQUEST_TIMEOUT_MS = 1_800_000;

/**
 * How long a watch stays open: `timeoutSeconds`, or — without it — what the API server picks
 * (endpoints/handlers/get.go ListResource: minRequestTimeout × (1 + rand), 30 to 60 minutes), so
 * clients see watches end and re-list as they do against a cluster.
 */
export function watchTimeoutMs(query: URLSearchParams): number {
  const seconds = Number(query.get('timeoutSeconds') ?? 0);
  return seconds > 0 ? seconds * 1000 : MIN_REQUEST_TIMEOUT_MS * (1 + Math.random());
}

/**
 * When the next bookmark goes out (apiserver storage/cacher/cache_watcher.go nextBookmarkTime):
 * roughly every minute, and 2 s before the deadline so a client that resumes from it loses nothing.
 * The one before the deadline is the last; deciding that up front, not from the clock when its timer
 * fires, keeps a timer that fires in the millisecond it was due from sending it twice.
 */
export function nextBookmark(now: number, deadline: number): { delayMs: number; last: boolean } | undefined {
  const beforeDeadline = deadline - 2000;
  if (beforeDeadline < now) return undefined;
  const periodic = now + BOOKMARK_FREQUENCY_MS;
  return { delayMs: Math.min(periodic, beforeDeadline) - now, last: beforeDeadline <= periodic };
}

/**
 * Streams newline-delimited watch events: ADDED for what exists (or the changes since
 * `resourceVersion`), then live changes, until the watch's timeout, the client leaves, or the test ends
 * it. `allowWatchBookmarks=true` adds BOOKMARK events carrying the current resourceVersion.
 */
export function serveWatch(
  r: ResourceRoute,
  store: ObjectStore,
  watches: Watches,
  req: ApiRequest,
  res: ServerResponse,
): void {
  const selected = selectorOf(req.query);
  const table = wantsTable(req.headers.accept);
  const includeObject = req.query.get('includeObject');
  const inScope = (e: StoreEvent) =>
    e.resourceType.group === r.type.group &&
    e.resourceType.resource === r.type.resource &&
    (r.namespace === undefined || e.object.metadata.namespace === r.namespace) &&
    (r.name === undefined || e.object.metadata.name === r.name) &&
    selected(e.object);
  const encode = (type: string, object: KubeObject) => {
    const payload = table
      ? toTable([object], { resourceVersion: object.metadata.resourceVersion ?? '' }, includeObject)
      : object;
    return `${JSON.stringify({ type, object: payload })}\n`;
  };

  const from = req.query.get('resourceVersion');
  let backlog: string[];
  try {
    backlog =
      from && from !== '0'
        ? store
            .eventsSince(Number(from))
            .filter(inScope)
            .map((e) => encode(e.type, e.object))
        : store
            .list(r.type, r.namespace)
            .filter((o) => (r.name === undefined || o.metadata.name === r.name) && selected(o))
            .map((o) => encode('ADDED', o));
  } catch (error) {
    if (!(error instanceof KubeStatusError)) throw error;
    // A too-old resourceVersion is reported inside the stream, as the API server does.
    backlog = [`${JSON.stringify({ type: 'ERROR', object: error.status })}\n`];
  }

  res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
  // Headers go out now: a client waits for them before it reads any (possibly much later) event.
  res.flushHeaders();
  for (const line of backlog) res.write(line);
  const bookmark = (annotations?: Record<string, string>) => {
    const object = {
      kind: r.type.kind,
      apiVersion: r.type.group ? `${r.type.group}/${r.type.version}` : r.type.version,
      metadata: { resourceVersion: String(store.resourceVersion), ...(annotations ? { annotations } : {}) },
    };
    res.write(`${JSON.stringify({ type: 'BOOKMARK', object })}\n`);
  };
  if (queryFlag(req.query, 'sendInitialEvents')) bookmark({ 'k8s.io/initial-events-end': 'true' });

  const unsubscribe = store.subscribe((event) => {
    if (inScope(event)) res.write(encode(event.type, event.object));
  });
  const timeoutMs = watchTimeoutMs(req.query);
  const deadline = Date.now() + timeoutMs;
  const timer = setTimeout(() => end(), timeoutMs);
  let bookmarks: NodeJS.Timeout | undefined;
  const scheduleBookmark = () => {
    const next = nextBookmark(Date.now(), deadline);
    if (!next) return;
    bookmarks = setTimeout(() => {
      bookmark();
      if (!next.last) scheduleBookmark();
    }, next.delayMs);
  };
  if (queryFlag(req.query, 'allowWatchBookmarks')) scheduleBookmark();
  const forget = watches.add(() => end());
  function end() {
    clearTimeout(timer);
    clearTimeout(bookmarks);
    unsubscribe();
    forget();
    if (!res.writableEnded) res.end();
  }
  res.on('close', end);
}
