import type { CelInput } from '@bufbuild/cel';
import { type BodyFormat, decodeBody, mediaType } from '../parse/body.js';
import type { Action, KubeRequest, PolicyContext } from '../types.js';

/** What a condition is evaluated over, built once per decision and only when a rule with conditions is reached. */
export interface CelBindings {
  readonly values: Record<string, CelInput>;
  /**
   * How many values (list elements, map entries, scalars) the variables hold, for the cost bound;
   * `undefined` when the body is there but unreadable (every condition then fails closed).
   */
  readonly size: number | undefined;
}

/** Objects nested deeper than Kubernetes objects ever are are treated as unreadable. */
const MAX_DEPTH = 100;

/** Content types whose bodies are read as `object` (the patch itself for PATCH; protobuf and CBOR are not read). */
const FORMATS: Readonly<Record<string, BodyFormat>> = {
  'application/json': 'json',
  'application/merge-patch+json': 'json',
  'application/strategic-merge-patch+json': 'json',
  'application/json-patch+json': 'json',
  'application/yaml': 'yaml',
  'application/apply-patch+yaml': 'yaml',
};

export function celBindings(
  ctx: PolicyContext,
  action: Exclude<Action, { kind: 'unclassified' }>,
): CelBindings {
  const counter = { size: 0 };
  const object = bodyObject(ctx.request, counter);
  const oldObject = toCel(ctx.oldObject ?? null, counter, 0);
  const namespaceObject = toCel(ctx.namespaceObject ?? null, counter, 0);
  const values: Record<string, CelInput> = { request: requestOf(ctx, action) };
  if (object !== UNREADABLE) values.object = object;
  if (oldObject !== UNREADABLE) values.oldObject = oldObject;
  if (namespaceObject !== UNREADABLE) values.namespaceObject = namespaceObject;
  const unreadable = object === UNREADABLE || oldObject === UNREADABLE || namespaceObject === UNREADABLE;
  return { values, size: unreadable ? undefined : counter.size };
}

/** The `request` variable: what the gateway knows of the request, '' where the request has no such part. */
function requestOf(ctx: PolicyContext, action: Exclude<Action, { kind: 'unclassified' }>): CelInput {
  const common = { agent: ctx.agent, cluster: ctx.cluster, verb: action.verb };
  if (action.kind === 'nonResource') {
    return {
      ...common,
      path: action.path,
      group: '',
      version: '',
      resource: '',
      subresource: '',
      namespace: '',
      name: '',
      dryRun: false,
    };
  }
  return {
    ...common,
    path: action.path ?? '',
    group: action.apiGroup,
    version: action.apiVersion,
    resource: action.resource,
    subresource: action.subresource ?? '',
    namespace: action.namespace ?? '',
    name: action.name ?? '',
    dryRun: action.dryRun,
  };
}

const UNREADABLE = Symbol('unreadable');

function bodyObject(
  request: KubeRequest | undefined,
  counter: { size: number },
): CelInput | typeof UNREADABLE {
  if (request?.body === undefined || request.body.length === 0) return null;
  const format = FORMATS[mediaType(request)];
  const decoded = format === undefined ? undefined : decodeBody(request, format);
  return decoded === undefined ? UNREADABLE : toCel(decoded.value, counter, 0);
}

/**
 * JSON/YAML values as CEL reads Kubernetes objects: whole numbers are `int` (the API server's int64),
 * others `double`. Counts every value for the cost bound.
 */
function toCel(value: unknown, counter: { size: number }, depth: number): CelInput | typeof UNREADABLE {
  counter.size++;
  if (depth > MAX_DEPTH) return UNREADABLE;
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isSafeInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) {
    const out: CelInput[] = [];
    for (const item of value) {
      const converted = toCel(item, counter, depth + 1);
      if (converted === UNREADABLE) return UNREADABLE;
      out.push(converted);
    }
    return out;
  }
  if (typeof value === 'object') {
    // A Map, not an object: a key such as `__proto__` stays a key.
    const out = new Map<string, CelInput>();
    for (const [key, item] of Object.entries(value)) {
      const converted = toCel(item, counter, depth + 1);
      if (converted === UNREADABLE) return UNREADABLE;
      out.set(key, converted);
    }
    return out;
  }
  // YAML dates and the like: not JSON, not something a Kubernetes object holds.
  return UNREADABLE;
}
