import type { PinnedTarget } from '@gatehouse/approvals';

/** The request as it goes upstream once its preconditions are added. */
export interface Conditioned {
  readonly body: Buffer;
  /** Set when the body is new (a DELETE sent without DeleteOptions). */
  readonly contentType?: string | undefined;
  /** How the API server is told: for the dispatch log and the docs. */
  readonly how: 'delete-options' | 'resource-version';
}

function jsonObject(body: Buffer | undefined): Record<string, unknown> | undefined {
  if (!body || body.length === 0) return undefined;
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

const mediaType = (contentType: string | undefined) =>
  (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';

/**
 * The approved request with the pinned target as preconditions the API server enforces itself, so
 * a change that races past the gateway's own check is refused there too:
 *
 * - DELETE: `DeleteOptions.preconditions` {uid, resourceVersion}, merged into kubectl's DeleteOptions
 *   body, or a new one when there was none (the API server reads the options from the body). A
 *   client's own precondition is kept: it can only make the delete stricter.
 * - PUT, and PATCH as a JSON merge patch or strategic merge patch: `metadata.resourceVersion`. The
 *   patch handler applies the patch to the live object and updates with the result, whose
 *   resourceVersion then must match (the optimistic lock: "the object has been modified").
 * - JSON patch: an `add` of `/metadata/resourceVersion` first, to the same effect.
 *
 * undefined where the body cannot carry one: server-side apply (an apply configuration's fields are
 * owned by its field manager; the gateway does not write into it), a body that is not JSON
 * (protobuf, YAML), and sessions. The gateway's own check right before dispatch still covers those.
 */
export function withPreconditions(
  request: {
    readonly method: string;
    readonly contentType: string | undefined;
    readonly body: Buffer | undefined;
  },
  pin: PinnedTarget,
): Conditioned | undefined {
  const method = request.method.toUpperCase();
  const type = mediaType(request.contentType);
  if (method === 'DELETE') {
    const empty = !request.body || request.body.length === 0;
    const options = empty ? { kind: 'DeleteOptions', apiVersion: 'v1' } : jsonObject(request.body);
    if (!options) return undefined;
    const own = (options.preconditions ?? {}) as Record<string, unknown>;
    const preconditions = { uid: pin.uid, resourceVersion: pin.resourceVersion, ...own };
    return {
      body: Buffer.from(JSON.stringify({ ...options, preconditions })),
      contentType: empty ? 'application/json' : undefined,
      how: 'delete-options',
    };
  }
  if (method === 'PATCH' && type === 'application/json-patch+json') {
    const ops = request.body ? safeParse(request.body) : undefined;
    if (!Array.isArray(ops)) return undefined;
    const lock = { op: 'add', path: '/metadata/resourceVersion', value: pin.resourceVersion };
    return { body: Buffer.from(JSON.stringify([lock, ...ops])), how: 'resource-version' };
  }
  const lockable =
    (method === 'PUT' && type === 'application/json') ||
    (method === 'PATCH' &&
      (type === 'application/merge-patch+json' || type === 'application/strategic-merge-patch+json'));
  if (!lockable) return undefined;
  const object = jsonObject(request.body);
  if (!object) return undefined;
  const metadata = (
    typeof object.metadata === 'object' && object.metadata !== null ? object.metadata : {}
  ) as Record<string, unknown>;
  // A resourceVersion the client sent is its own lock: kept.
  if (typeof metadata.resourceVersion === 'string' && metadata.resourceVersion !== '') return undefined;
  const locked = { ...object, metadata: { ...metadata, resourceVersion: pin.resourceVersion } };
  return { body: Buffer.from(JSON.stringify(locked)), how: 'resource-version' };
}

function safeParse(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}
