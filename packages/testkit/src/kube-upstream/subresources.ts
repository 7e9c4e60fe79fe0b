import { applyPatch, parseBody, patchTypeOf } from './body.js';
import { type ApiRequest, type ApiResponse, dryRun } from './rest.js';
import type { ResourceRoute } from './routes.js';
import { badRequest, methodNotAllowed, notFound } from './status.js';
import type { KubeObject, ObjectStore } from './store.js';

interface Spec {
  replicas?: number;
  selector?: { matchLabels?: Record<string, string> };
}

function scaleOf(object: KubeObject) {
  const spec = (object.spec ?? {}) as Spec;
  const status = (object.status ?? {}) as { replicas?: number };
  const selector = Object.entries(spec.selector?.matchLabels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  const { name, namespace, uid, resourceVersion, creationTimestamp } = object.metadata;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name, namespace, uid, resourceVersion, creationTimestamp },
    spec: { replicas: spec.replicas ?? 1 },
    status: { replicas: status.replicas ?? 0, selector },
  };
}

function changed(req: ApiRequest, current: unknown): unknown {
  if (req.method === 'PUT') return parseBody(req.body, req.headers['content-type']);
  if (req.method === 'PATCH') {
    return applyPatch(
      current,
      patchTypeOf(req.headers['content-type']),
      req.body,
      req.headers['content-type'],
    );
  }
  throw methodNotAllowed(req.method, req.path);
}

/** `scale` (reads and writes spec.replicas), `status` (only the status stanza) and `eviction` (deletes the pod). */
export function handleSubresource(r: ResourceRoute, store: ObjectStore, req: ApiRequest): ApiResponse {
  const name = r.name ?? '';
  const object = store.get(r.type, r.namespace, name);
  if (!object) throw notFound({ kind: r.type.resource, group: r.type.group || undefined, name });
  switch (r.subresource) {
    case 'scale': {
      if (req.method === 'GET') return { status: 200, body: scaleOf(object) };
      const scale = changed(req, scaleOf(object)) as { spec?: { replicas?: unknown } };
      const replicas = scale.spec?.replicas;
      if (typeof replicas !== 'number' || replicas < 0)
        throw badRequest('spec.replicas must be a number >= 0');
      const next = { ...object, spec: { ...(object.spec as object), replicas } };
      const stored = dryRun(req) ? next : store.update(r.type, r.namespace, next);
      return { status: 200, body: scaleOf(stored) };
    }
    case 'status': {
      if (req.method === 'GET') return { status: 200, body: object };
      const next = { ...object, status: (changed(req, object) as KubeObject).status };
      return { status: 200, body: dryRun(req) ? next : store.update(r.type, r.namespace, next) };
    }
    case 'eviction': {
      if (req.method !== 'POST') throw methodNotAllowed(req.method, req.path);
      if (!dryRun(req, 'eviction')) store.delete(r.type, r.namespace, name);
      return {
        status: 201,
        body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 },
      };
    }
    default:
      throw notFound({ kind: `${r.type.resource}/${r.subresource}`, name });
  }
}
