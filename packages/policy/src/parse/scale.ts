import type { KubeRequest, PatchType } from '../types.js';
import { type BodyFormat, decodeBody, mediaType } from './body.js';

/**
 * What a PUT/PATCH body does to `spec.replicas`:
 * - `{ known: true, replicas: n }` sets it to n;
 * - `{ known: true, replicas: undefined }` leaves it alone (or lets the server default it);
 * - `{ known: false }` cannot be told from the body (undecodable, or a JSON patch copying a value in).
 */
export type ReplicaEffect = { readonly known: true; readonly replicas?: number } | { readonly known: false };

const UNKNOWN: ReplicaEffect = { known: false };
const UNTOUCHED: ReplicaEffect = { known: true };

/** Workloads whose `spec.replicas` scales pods, by API group. `extensions` is the pre-1.16 home of two of them. */
const SCALABLE: Readonly<Record<string, readonly string[]>> = {
  '': ['replicationcontrollers'],
  apps: ['deployments', 'statefulsets', 'replicasets'],
  extensions: ['deployments', 'replicasets'],
};

export function isScalableWorkload(apiGroup: string, resource: string): boolean {
  return SCALABLE[apiGroup]?.includes(resource) ?? false;
}

const PATCH_TYPES: Readonly<Record<string, PatchType>> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
};

export function patchTypeOf(req: KubeRequest): PatchType {
  return PATCH_TYPES[mediaType(req)] ?? 'unknown';
}

/** How the body must be read: a PUT carries the whole object, a PATCH one of the patch formats. */
export type BodyKind = PatchType | 'put';

/** The replica effect of a PUT or PATCH body on a scalable object or a `scale` subresource. */
export function replicaEffect(req: KubeRequest, kind: BodyKind): ReplicaEffect {
  if (kind === 'unknown') return UNKNOWN;
  if (kind === 'json') {
    const body = decodeBody(req, 'json');
    return body === undefined ? UNKNOWN : jsonPatchEffect(body.value);
  }
  const format = kind === 'put' ? putFormat(req) : kind === 'apply' ? 'yaml' : 'json';
  if (format === undefined) return UNKNOWN;
  const body = decodeBody(req, format);
  return body === undefined ? UNKNOWN : objectEffect(body.value);
}

/** PUT bodies kubectl sends are JSON; YAML is accepted by the server too; protobuf/CBOR we cannot read. */
function putFormat(req: KubeRequest): BodyFormat | undefined {
  const type = mediaType(req);
  if (type === 'application/json') return 'json';
  if (type === 'application/yaml') return 'yaml';
  // Absent (the API server answers 415), ambiguous, protobuf or CBOR.
  return undefined;
}

/** Merge, strategic merge, apply and PUT bodies: an object whose `spec.replicas` is the target. */
function objectEffect(value: unknown): ReplicaEffect {
  if (!isObject(value)) return UNKNOWN;
  if (!('spec' in value) || value.spec === null) return UNTOUCHED;
  if (!isObject(value.spec)) return UNKNOWN;
  if (!('replicas' in value.spec) || value.spec.replicas === null) return UNTOUCHED;
  const replicas = value.spec.replicas;
  return typeof replicas === 'number' && Number.isFinite(replicas) ? { known: true, replicas } : UNKNOWN;
}

/** RFC 6902: replay the operations that can reach `/spec/replicas`, in order. */
function jsonPatchEffect(value: unknown): ReplicaEffect {
  if (!Array.isArray(value)) return UNKNOWN;
  let effect: ReplicaEffect = UNTOUCHED;
  for (const op of value) {
    if (!isObject(op) || typeof op.op !== 'string' || typeof op.path !== 'string') return UNKNOWN;
    const touches = op.path === '/spec/replicas' || op.path === '/spec' || op.path === '';
    switch (op.op) {
      case 'test':
        break;
      case 'remove':
        if (touches) effect = UNTOUCHED;
        break;
      case 'add':
      case 'replace':
        if (op.path === '/spec/replicas') effect = objectEffect({ spec: { replicas: op.value } });
        else if (op.path === '/spec') effect = objectEffect({ spec: op.value });
        else if (op.path === '') effect = objectEffect(op.value);
        break;
      case 'copy':
      case 'move':
        // The value comes from elsewhere in the object: we cannot know it without the object.
        if (touches) return UNKNOWN;
        break;
      default:
        return UNKNOWN;
    }
  }
  return effect;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
