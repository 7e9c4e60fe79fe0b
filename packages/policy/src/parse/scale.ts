import type { KubeRequest, PatchType } from '../types.js';
import { type BodyFormat, decodeBody, mediaType } from './body.js';

/**
 * What a PUT/PATCH body does to `spec.replicas`:
 * - `{ kind: 'sets', value }`: sets it to `value` as written (a number, or anything else a client
 *   sent: a string, null — null also for a field removed or cleared);
 * - `{ kind: 'untouched' }`: leaves it alone (or lets the server default it, to 1 on the workloads);
 * - `{ kind: 'unknown' }`: cannot be told from the body (undecodable, a JSON patch moving a value in
 *   or out, a strategic-merge directive that replaces or prunes the spec).
 */
export type ReplicaEffect =
  | { readonly kind: 'sets'; readonly value: unknown }
  | { readonly kind: 'untouched' }
  | { readonly kind: 'unknown' };

const UNKNOWN: ReplicaEffect = { kind: 'unknown' };
const UNTOUCHED: ReplicaEffect = { kind: 'untouched' };
/** The field removed or set to null: a Scale's non-pointer `int32` then decodes as 0. */
const CLEARED: ReplicaEffect = { kind: 'sets', value: null };
const sets = (value: unknown): ReplicaEffect => ({ kind: 'sets', value });

/** The largest int32: `spec.replicas` is an int32 in every scalable kind and in `autoscaling/v1` Scale. */
const MAX_INT32 = 2 ** 31 - 1;

/**
 * Whether a value the body sets keeps at least one replica running. Only an integer in
 * [1, 2³¹−1] does. The API server turns others into zero or worse: the strategic-merge and apply
 * paths convert the decoded number with `runtime.DefaultUnstructuredConverter.FromUnstructured`,
 * which truncates to int32 without a range check (4294967296 → 0, 8589934592 → 0, −4294967296 → 0)
 * and fractions toward zero (0.5 → 0); a removed or null field is 0 in a Scale. Strings, null and
 * anything else are refused or defaulted by a path we cannot see, so they are held too.
 */
export function keepsReplicas(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_INT32;
}

/** Workloads whose `spec.replicas` scales pods, by API group. `extensions` is the pre-1.16 home of two of them. */
const SCALABLE: Readonly<Record<string, readonly string[]>> = {
  '': ['replicationcontrollers'],
  apps: ['deployments', 'statefulsets', 'replicasets'],
  extensions: ['deployments', 'replicasets'],
};

export function isScalableWorkload(apiGroup: string, resource: string): boolean {
  return SCALABLE[apiGroup]?.includes(resource) ?? false;
}

/** API groups the Kubernetes API server serves itself (besides the dot-less ones: core, apps, batch…). */
const BUILT_IN_GROUPS = new Set([
  'admissionregistration.k8s.io',
  'apiextensions.k8s.io',
  'apiregistration.k8s.io',
  'authentication.k8s.io',
  'authorization.k8s.io',
  'certificates.k8s.io',
  'coordination.k8s.io',
  'discovery.k8s.io',
  'events.k8s.io',
  'flowcontrol.apiserver.k8s.io',
  'internal.apiserver.k8s.io',
  'networking.k8s.io',
  'node.k8s.io',
  'rbac.authorization.k8s.io',
  'resource.k8s.io',
  'scheduling.k8s.io',
  'storage.k8s.io',
  'storagemigration.k8s.io',
]);

/**
 * A group of custom resources (or an aggregated API): its objects' `spec.replicas` is read as a
 * replica count, since that is where a CRD's scale subresource keeps it by convention
 * (`specReplicasPath: .spec.replicas`: Argo Rollouts, Strimzi, most operators).
 */
export function isCustomResourceGroup(apiGroup: string): boolean {
  return apiGroup.includes('.') && !BUILT_IN_GROUPS.has(apiGroup);
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

/** Where the body is read: a `scale` subresource (a Scale object) or the workload itself. */
export type ScaleTarget = 'scale' | 'object';

/** The replica effect of a PUT or PATCH body on a scalable object or a `scale` subresource. */
export function replicaEffect(req: KubeRequest, kind: BodyKind, target: ScaleTarget): ReplicaEffect {
  if (kind === 'unknown') return UNKNOWN;
  // A PUT replaces the whole object: a Scale without spec.replicas is a Scale of 0; a workload
  // without it is defaulted to 1 (SetDefaults_Deployment and friends).
  const absent = kind === 'put' && target === 'scale' ? sets(0) : UNTOUCHED;
  if (kind === 'json') {
    const body = decodeBody(req, 'json');
    return body === undefined ? UNKNOWN : jsonPatchEffect(body.value, target);
  }
  const format = kind === 'put' ? putFormat(req) : kind === 'apply' ? 'yaml' : 'json';
  if (format === undefined) return UNKNOWN;
  const body = decodeBody(req, format);
  if (body === undefined) return UNKNOWN;
  if (kind === 'strategic' && hasReplacingDirective(body.value)) return UNKNOWN;
  return objectEffect(body.value, absent);
}

/**
 * Strategic-merge directives that drop fields the patch does not name: `$patch: replace|delete`
 * and `$retainKeys` (apimachinery strategicpatch). On a Scale, dropping spec.replicas means 0.
 */
function hasReplacingDirective(value: unknown): boolean {
  if (!isObject(value)) return false;
  const spec = value.spec;
  const directives = (o: Record<string, unknown>) => '$patch' in o || '$retainKeys' in o;
  return directives(value) || (isObject(spec) && directives(spec));
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
function objectEffect(value: unknown, absent: ReplicaEffect): ReplicaEffect {
  if (!isObject(value)) return UNKNOWN;
  if (!('spec' in value)) return absent;
  if (value.spec === null) return CLEARED;
  if (!isObject(value.spec)) return UNKNOWN;
  if (!('replicas' in value.spec)) return absent;
  return sets(value.spec.replicas);
}

/** RFC 6902: replay the operations that can reach `/spec/replicas`, in order. */
function jsonPatchEffect(value: unknown, target: ScaleTarget): ReplicaEffect {
  if (!Array.isArray(value)) return UNKNOWN;
  // A spec or object put in whole without replicas: a Scale of 0, a workload defaulted to 1.
  const absent = target === 'scale' ? sets(0) : UNTOUCHED;
  let effect: ReplicaEffect = UNTOUCHED;
  for (const op of value) {
    if (!isObject(op) || typeof op.op !== 'string' || typeof op.path !== 'string') return UNKNOWN;
    const touches = reachesReplicas(op.path);
    switch (op.op) {
      case 'test':
        break;
      case 'remove':
        if (touches) effect = CLEARED;
        break;
      case 'add':
      case 'replace':
        if (op.path === '/spec/replicas') effect = sets(op.value);
        else if (op.path === '/spec') effect = objectEffect({ spec: op.value }, absent);
        else if (op.path === '') effect = objectEffect(op.value, absent);
        break;
      case 'copy':
      case 'move':
        // The value comes from elsewhere in the object (or, moved away, leaves it): we cannot know it.
        if (touches || (op.op === 'move' && typeof op.from === 'string' && reachesReplicas(op.from)))
          return UNKNOWN;
        if (op.op === 'move' && typeof op.from !== 'string') return UNKNOWN;
        break;
      default:
        return UNKNOWN;
    }
  }
  return effect;
}

/** A JSON pointer to spec.replicas or one of its parents. */
function reachesReplicas(pointer: string): boolean {
  return pointer === '/spec/replicas' || pointer === '/spec' || pointer === '';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
