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

/**
 * Streams newline-delimited watch events: ADDED for what exists (or the changes since
 * `resourceVersion`), then live changes, until `timeoutSeconds`, the client leaves, or the test ends it.
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
    const payload = table ? toTable([object], object.metadata.resourceVersion ?? '', includeObject) : object;
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
  if (queryFlag(req.query, 'sendInitialEvents')) {
    const bookmark = {
      kind: r.type.kind,
      apiVersion: r.type.group ? `${r.type.group}/${r.type.version}` : r.type.version,
      metadata: {
        resourceVersion: String(store.resourceVersion),
        annotations: { 'k8s.io/initial-events-end': 'true' },
      },
    };
    res.write(`${JSON.stringify({ type: 'BOOKMARK', object: bookmark })}\n`);
  }

  const unsubscribe = store.subscribe((event) => {
    if (inScope(event)) res.write(encode(event.type, event.object));
  });
  const timeoutSeconds = Number(req.query.get('timeoutSeconds') ?? 0);
  const timer = timeoutSeconds > 0 ? setTimeout(() => end(), timeoutSeconds * 1000) : undefined;
  const forget = watches.add(() => end());
  function end() {
    clearTimeout(timer);
    unsubscribe();
    forget();
    if (!res.writableEnded) res.end();
  }
  res.on('close', end);
}
