import type { CelInput } from '@bufbuild/cel';
import { type BodyFormat, decodeBody, mediaType } from '../parse/body.js';
import type { Action, KubeRequest, PolicyContext } from '../types.js';

/** A variable a condition may read (README: "conditions"). */
export type CelVariable = 'request' | 'object' | 'oldObject' | 'namespaceObject';

/**
 * What conditions are evaluated over, built once per decision when a rule with conditions is reached.
 * Each variable is built the first time a condition reads it: a rule on `request` alone never parses
 * the body.
 */
export interface CelBindings {
  /** The variables by name, each built when first read; an unreadable one is absent. */
  readonly values: Record<string, CelInput>;
  /**
   * How many values (list elements, map entries, scalars) the given variables hold, for the cost
   * bound; `undefined` when one of them is unreadable (the body is there but is not JSON or YAML).
   */
  size(reads: readonly CelVariable[]): number | undefined;
}

interface Built {
  readonly value: CelInput | typeof UNREADABLE;
  readonly size: number;
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
  return new LazyBindings(ctx, action);
}

/**
 * The variables are getters on the prototype, which the evaluator reads by name, so a decision
 * allocates one object and builds only what its conditions read.
 */
class LazyBindings implements CelBindings {
  readonly values: Record<string, CelInput> = this as unknown as Record<string, CelInput>;
  #request: Built | undefined;
  #object: Built | undefined;
  #oldObject: Built | undefined;
  #namespaceObject: Built | undefined;

  constructor(
    private readonly ctx: PolicyContext,
    private readonly action: Exclude<Action, { kind: 'unclassified' }>,
  ) {}

  get request(): CelInput | undefined {
    return readable(this.built('request'));
  }
  get object(): CelInput | undefined {
    return readable(this.built('object'));
  }
  get oldObject(): CelInput | undefined {
    return readable(this.built('oldObject'));
  }
  get namespaceObject(): CelInput | undefined {
    return readable(this.built('namespaceObject'));
  }

  size(reads: readonly CelVariable[]): number | undefined {
    let total = 0;
    for (const name of reads) {
      const entry = this.built(name);
      if (entry.value === UNREADABLE) return undefined;
      total += entry.size;
    }
    return total;
  }

  private built(name: CelVariable): Built {
    switch (name) {
      case 'request':
        this.#request ??= { value: requestOf(this.ctx, this.action), size: REQUEST_SIZE };
        return this.#request;
      case 'object':
        this.#object ??= counted(bodyObject(this.ctx.request));
        return this.#object;
      case 'oldObject':
        this.#oldObject ??= counted(this.ctx.oldObject ?? null);
        return this.#oldObject;
      case 'namespaceObject':
        this.#namespaceObject ??= counted(this.ctx.namespaceObject ?? null);
        return this.#namespaceObject;
    }
  }
}

function readable(built: Built): CelInput | undefined {
  return built.value === UNREADABLE ? undefined : built.value;
}

/** The fields of `request`, for the cost bound. */
const REQUEST_SIZE = 11;

function counted(value: unknown): Built {
  if (value === UNREADABLE) return { value, size: 0 };
  const counter = { size: 0 };
  const converted = toCel(value, counter, 0);
  return { value: converted, size: counter.size };
}

/**
 * The `request` variable: what the gateway knows of the request, '' where the request has no such
 * part. A Map, as every object here: the evaluator reads a Map's keys directly (a plain object is
 * converted on each access, several times slower).
 */
function requestOf(ctx: PolicyContext, action: Exclude<Action, { kind: 'unclassified' }>): CelInput {
  const resource = action.kind === 'resource' ? action : undefined;
  return new Map<string, CelInput>([
    ['agent', ctx.agent],
    ['cluster', ctx.cluster],
    ['verb', action.verb],
    ['path', action.path ?? ''],
    ['group', resource?.apiGroup ?? ''],
    ['version', resource?.apiVersion ?? ''],
    ['resource', resource?.resource ?? ''],
    ['subresource', resource?.subresource ?? ''],
    ['namespace', resource?.namespace ?? ''],
    ['name', resource?.name ?? ''],
    ['dryRun', resource?.dryRun ?? false],
  ]);
}

const UNREADABLE = Symbol('unreadable');

/** The body as JSON/YAML decoded it; null when there is none. */
function bodyObject(request: KubeRequest | undefined): unknown {
  if (request?.body === undefined || request.body.length === 0) return null;
  const format = FORMATS[mediaType(request)];
  const decoded = format === undefined ? undefined : decodeBody(request, format);
  return decoded === undefined ? UNREADABLE : decoded.value;
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
