import type { IncomingHttpHeaders } from 'node:http';
import { applyPatch, parseBody, patchTypeOf } from './body.js';
import { pageOf } from './paging.js';
import { checkDeletePreconditions, deletePreconditions } from './preconditions.js';
import { apiVersionOf } from './resources.js';
import type { ResourceRoute } from './routes.js';
import { parseFieldSelector, parseLabelSelector } from './selectors.js';
import { badRequest, invalid, methodNotAllowed, notFound } from './status.js';
import type { KubeObject, ObjectStore } from './store.js';
import { toTable, wantsTable } from './table.js';

export interface ApiRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface ApiResponse {
  status: number;
  body: unknown;
}

const target = (r: ResourceRoute, name: string | undefined) => ({
  kind: r.type.resource,
  group: r.type.group || undefined,
  name,
});

/** Labels and fields from `labelSelector` / `fieldSelector`, as one predicate. */
export function selectorOf(query: URLSearchParams): (o: KubeObject) => boolean {
  const labels = parseLabelSelector(query.get('labelSelector'));
  const fields = parseFieldSelector(query.get('fieldSelector'));
  return (o) => labels(o.metadata.labels ?? {}) && fields(o);
}

/** A list, or one page of it (`limit`, `continue`: see {@link pageOf}). */
function listOf(r: ResourceRoute, store: ObjectStore, req: ApiRequest): ApiResponse {
  const { items, metadata } = pageOf(store, r, req.query, selectorOf(req.query));
  if (wantsTable(req.headers.accept)) {
    return { status: 200, body: toTable(items, metadata, req.query.get('includeObject')) };
  }
  return {
    status: 200,
    body: { kind: `${r.type.kind}List`, apiVersion: apiVersionOf(r.type), metadata, items },
  };
}

function one(object: KubeObject, store: ObjectStore, req: ApiRequest, status = 200): ApiResponse {
  if (wantsTable(req.headers.accept) && req.method === 'GET') {
    const metadata = { resourceVersion: String(store.resourceVersion) };
    return { status, body: toTable([object], metadata, req.query.get('includeObject')) };
  }
  return { status, body: object };
}

function existing(r: ResourceRoute, store: ObjectStore, name: string): KubeObject {
  const object = store.get(r.type, r.namespace, name);
  if (!object) throw notFound(target(r, name));
  return object;
}

/** The options kind a method decodes its query into, as the API server names it in errors. */
const OPTIONS_KIND: Readonly<Record<string, string>> = {
  POST: 'CreateOptions',
  PUT: 'UpdateOptions',
  PATCH: 'PatchOptions',
  DELETE: 'DeleteOptions',
};

/**
 * Whether the API server runs this request as a dry run, by its handlers' rules (kubernetes
 * staging/src/k8s.io/apiserver/pkg/endpoints/handlers create.go, update.go, patch.go, delete.go):
 * a DELETE with a body decodes DeleteOptions from the body and never reads the query; every other
 * request reads every `dryRun` query value. `ValidateDryRun` (apimachinery meta/v1/validation)
 * refuses any value but `All` with 422 Invalid; a body `dryRun` that is not a list of strings fails
 * to decode (400). Then `dryrun.IsDryRun` is "there is a value". An eviction (a POST with an
 * Eviction body) is a dry run by its query or by its `deleteOptions.dryRun` (propagateDryRun in
 * pkg/registry/core/pod/storage/eviction.go).
 */
export function dryRun(req: ApiRequest, what: 'request' | 'eviction' = 'request'): boolean {
  const kind = OPTIONS_KIND[req.method] ?? 'CreateOptions';
  if (req.method === 'DELETE' && req.body.length > 0) {
    return validDryRun(
      kind,
      optionsFromBody(req, (o) => o.dryRun),
    );
  }
  const fromQuery = validDryRun(kind, req.query.getAll('dryRun'));
  if (what !== 'eviction' || req.body.length === 0 || fromQuery) return fromQuery;
  return validDryRun(
    'DeleteOptions',
    optionsFromBody(req, (o) => o.deleteOptions?.dryRun),
  );
}

interface OptionsBody {
  dryRun?: unknown;
  deleteOptions?: { dryRun?: unknown };
}

/** The `dryRun` list of a JSON body; [] when it is not JSON (the caller's own decode reports that). */
function optionsFromBody(req: ApiRequest, pick: (options: OptionsBody) => unknown): unknown[] {
  if (!(req.headers['content-type'] ?? 'application/json').includes('json')) return [];
  let options: OptionsBody;
  try {
    // Buffer#toString keeps a byte-order mark, which JSON.parse refuses like Go's encoding/json.
    options = JSON.parse(req.body.toString('utf8')) as OptionsBody;
  } catch {
    throw badRequest('the body of the request is not valid JSON DeleteOptions');
  }
  const values = options === null || typeof options !== 'object' ? undefined : pick(options);
  if (values === undefined || values === null) return [];
  if (!Array.isArray(values) || values.some((v) => typeof v !== 'string')) {
    throw badRequest(
      `json: cannot unmarshal ${JSON.stringify(values)} into Go struct field DeleteOptions.dryRun of type []string`,
    );
  }
  return values;
}

function validDryRun(kind: string, values: readonly unknown[]): boolean {
  if (values.some((value) => value !== 'All')) {
    const list = values.map((value) => JSON.stringify(value)).join(', ');
    throw invalid(
      { kind, group: 'meta.k8s.io' },
      `dryRun: Unsupported value: []string{${list}}: supported values: "All"`,
    );
  }
  return values.length > 0;
}

/** Keeps identity fields the client may not change through a patch or update. */
function pinIdentity(r: ResourceRoute, object: unknown, name: string): KubeObject {
  if (object === null || typeof object !== 'object' || Array.isArray(object)) {
    throw badRequest('the object must be a JSON object');
  }
  const o = object as KubeObject;
  return {
    ...o,
    metadata: { ...(o.metadata ?? {}), name, ...(r.namespace ? { namespace: r.namespace } : {}) },
  };
}

function allowedReview(r: ResourceRoute) {
  return {
    apiVersion: apiVersionOf(r.type),
    kind: r.type.kind,
    metadata: {},
    spec: {},
    status: { allowed: true, reason: 'the testkit upstream authorizes every request' },
  };
}

/** GET/POST/PUT/PATCH/DELETE on a collection or an object (subresources are handled elsewhere). */
export function handleObjects(r: ResourceRoute, store: ObjectStore, req: ApiRequest): ApiResponse {
  const { name } = r;
  if (name === undefined) {
    switch (req.method) {
      case 'GET':
        return listOf(r, store, req);
      case 'POST': {
        // An access review (`kubectl auth can-i`): everything is allowed, whatever was asked.
        if (r.type.review) return { status: 201, body: allowedReview(r) };
        const object = parseBody(req.body, req.headers['content-type']) as KubeObject;
        if (!object?.metadata?.name) throw badRequest('metadata.name: Required value: name is required');
        const pinned = pinIdentity(r, object, object.metadata.name);
        return { status: 201, body: store.create(r.type, r.namespace, pinned, { dryRun: dryRun(req) }) };
      }
      case 'DELETE': {
        const doomed = store.list(r.type, r.namespace).filter(selectorOf(req.query));
        const deleted = dryRun(req)
          ? doomed
          : doomed.map((o) => store.delete(r.type, o.metadata.namespace, o.metadata.name));
        const list = {
          kind: `${r.type.kind}List`,
          apiVersion: apiVersionOf(r.type),
          metadata: {},
          items: deleted,
        };
        return { status: 200, body: list };
      }
      default:
        throw methodNotAllowed(req.method, req.path);
    }
  }
  switch (req.method) {
    case 'GET':
      return one(existing(r, store, name), store, req);
    case 'PUT': {
      const object = pinIdentity(r, parseBody(req.body, req.headers['content-type']), name);
      return { status: 200, body: store.update(r.type, r.namespace, object, { dryRun: dryRun(req) }) };
    }
    case 'PATCH': {
      const type = patchTypeOf(req.headers['content-type']);
      const current = store.get(r.type, r.namespace, name);
      if (!current && type !== 'apply') throw notFound(target(r, name));
      const patched = pinIdentity(
        r,
        applyPatch(current ?? {}, type, req.body, req.headers['content-type']),
        name,
      );
      // The patched object goes through the same checks as a write; a dry run stores nothing.
      const options = { dryRun: dryRun(req) };
      // Server-side apply creates what does not exist yet, answering 201 like the API server.
      if (!current) return { status: 201, body: store.create(r.type, r.namespace, patched, options) };
      return { status: 200, body: store.update(r.type, r.namespace, patched, options) };
    }
    case 'DELETE': {
      const object = existing(r, store, name);
      // Checked before anything else happens, dry run included (rest.BeforeDelete runs for dry runs too).
      checkDeletePreconditions(r.type, object, deletePreconditions(req.body, req.headers));
      return { status: 200, body: dryRun(req) ? object : store.delete(r.type, r.namespace, name) };
    }
    default:
      throw methodNotAllowed(req.method, req.path);
  }
}
