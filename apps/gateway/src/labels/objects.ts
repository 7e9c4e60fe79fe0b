import { LABELS_DEFAULTS } from '@gatehouse/config';
import type { LabelLookup, ResourceAction } from '@gatehouse/policy';
import { kubeReader } from '../preview/kube.js';
import type { ClusterUpstream } from '../upstream/index.js';

export interface ObjectLabelOptions {
  /** How long one GET may take before its labels are unknown. @defaultValue 2000 */
  readonly timeoutMs?: number | undefined;
  /** GETs in flight at once across clusters; one more is unknown at once, not queued. @defaultValue 16 */
  readonly maxConcurrent?: number | undefined;
}

/** The object's labels and, where it was read, the object for `oldObject`. */
export interface ObjectRead {
  readonly labels: LabelLookup;
  readonly object?: unknown;
}

interface StoredObject {
  readonly metadata?: { readonly labels?: Record<string, string> };
}

/** `/api/v1/namespaces/ns/pods/web` for a request on that object or one of its subresources. */
export function objectPath(action: ResourceAction): string | undefined {
  if (action.name === undefined) return undefined;
  const base =
    action.apiGroup === '' ? `/api/${action.apiVersion}` : `/apis/${action.apiGroup}/${action.apiVersion}`;
  const scope =
    action.namespace !== undefined && !(action.apiGroup === '' && action.resource === 'namespaces')
      ? `/namespaces/${action.namespace}`
      : '';
  return `${base}${scope}/${action.resource}/${action.name}`;
}

/**
 * Reads the object a request is about, once, as the cluster stores it, for `objectSelector` and
 * `oldObject`. It reads with the gateway's own credentials, not the agent's impersonated identity:
 * an agent allowed to delete or exec need not be allowed to get, and labels read as the agent would
 * then be unknown for exactly the requests a selector is meant to judge; a read the agent never sent
 * would also appear as the agent's in the cluster's audit log. A Secret is read as metadata only, so
 * its data never passes through the gateway for a label.
 */
export class ObjectLabelReader {
  readonly #timeoutMs: number;
  readonly #maxConcurrent: number;
  #inFlight = 0;

  constructor(options: ObjectLabelOptions = {}) {
    this.#timeoutMs = options.timeoutMs ?? LABELS_DEFAULTS.objectReadTimeoutMs;
    this.#maxConcurrent = options.maxConcurrent ?? LABELS_DEFAULTS.maxObjectReads;
  }

  async read(upstream: ClusterUpstream, action: ResourceAction): Promise<ObjectRead> {
    const path = objectPath(action);
    if (path === undefined) return { labels: { unknown: 'the request names no object' } };
    if (this.#inFlight >= this.#maxConcurrent) {
      return { labels: { unknown: `${this.#maxConcurrent} object label reads are already in flight` } };
    }
    this.#inFlight += 1;
    try {
      const reader = kubeReader(upstream, AbortSignal.timeout(this.#timeoutMs));
      const object = await reader.get<StoredObject>(path, { metadataOnly: action.resource === 'secrets' });
      if (object === undefined) return { labels: { unknown: `GET ${path} answered 404` } };
      return { labels: { labels: object.metadata?.labels ?? {} }, object };
    } catch (error) {
      const timedOut = error instanceof Error && error.name === 'TimeoutError';
      const why = timedOut
        ? `no answer in ${this.#timeoutMs} ms`
        : error instanceof Error
          ? error.message
          : String(error);
      return { labels: { unknown: `GET ${path} failed: ${why}` } };
    } finally {
      this.#inFlight -= 1;
    }
  }
}
