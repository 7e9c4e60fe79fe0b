import type { IncomingHttpHeaders } from 'node:http';
import type { ResourceType } from './resources.js';
import { conflict } from './status.js';
import type { KubeObject } from './store.js';

/** `DeleteOptions.preconditions` (k8s.io/apimachinery/pkg/apis/meta/v1 `Preconditions`): both optional. */
export interface Preconditions {
  readonly uid?: string | undefined;
  readonly resourceVersion?: string | undefined;
}

/**
 * The preconditions of a DELETE's JSON DeleteOptions body (kubectl and client-go send one; the API
 * server decodes it in endpoints/handlers/delete.go). No body, or no `preconditions`: none.
 */
export function deletePreconditions(body: Buffer, headers: IncomingHttpHeaders): Preconditions | undefined {
  if (body.length === 0 || !(headers['content-type'] ?? 'application/json').includes('json'))
    return undefined;
  let options: unknown;
  try {
    options = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  const raw = (options as { preconditions?: unknown } | null)?.preconditions;
  if (raw === null || typeof raw !== 'object') return undefined;
  const { uid, resourceVersion } = raw as { uid?: unknown; resourceVersion?: unknown };
  return {
    uid: typeof uid === 'string' ? uid : undefined,
    resourceVersion: typeof resourceVersion === 'string' ? resourceVersion : undefined,
  };
}

/**
 * Refuses a delete whose preconditions the live object does not meet, with the 409 Conflict the API
 * server answers. Two code paths there, two wordings:
 *
 * - Namespaces (pkg/registry/core/namespace/storage/storage.go, `REST.Delete`) check before the
 *   generic store: `apierrors.NewConflict(api.Resource("namespaces"), name, fmt.Errorf("Precondition
 *   failed: UID in precondition: %v, UID in object meta: %v", …))`, and the ResourceVersion variant.
 * - Every other object goes through the generic store's Delete (pkg/registry/generic/registry/store.go),
 *   which calls `rest.BeforeDelete` (staging/src/k8s.io/apiserver/pkg/registry/rest/delete.go) first:
 *   `errors.NewConflict(schema.GroupResource{Group: gvk.Group, Resource: gvk.Kind}, name,
 *   fmt.Errorf("the UID in the precondition (%s) does not match the UID in record (%s). The object
 *   might have been deleted and then recreated", …))`, and "… The object might have been modified" for
 *   the resourceVersion. (Later, in storage, `Preconditions.Check` in
 *   staging/src/k8s.io/apiserver/pkg/storage/interfaces.go and etcd3 `checkPreconditions` say
 *   "Precondition failed: UID in precondition: …" for a change that raced past BeforeDelete.)
 *
 * `NewConflict` (staging/src/k8s.io/apimachinery/pkg/api/errors/errors.go) makes the message
 * `Operation cannot be fulfilled on <resource> "<name>": <why>`, reason Conflict, code 409.
 */
export function checkDeletePreconditions(
  t: ResourceType,
  object: KubeObject,
  preconditions: Preconditions | undefined,
): void {
  if (!preconditions) return;
  const { name, uid, resourceVersion } = object.metadata;
  const namespaces = t.group === '' && t.resource === 'namespaces';
  // The namespace registry names the resource; rest.BeforeDelete names the Kind (GroupResource{gvk.Group, gvk.Kind}).
  const who = namespaces ? { kind: 'namespaces', name } : { kind: t.kind, group: t.group || undefined, name };
  if (preconditions.uid !== undefined && preconditions.uid !== uid) {
    throw conflict(
      who,
      namespaces
        ? `Precondition failed: UID in precondition: ${preconditions.uid}, UID in object meta: ${uid ?? ''}`
        : `the UID in the precondition (${preconditions.uid}) does not match the UID in record (${uid ?? ''}). The object might have been deleted and then recreated`,
    );
  }
  if (preconditions.resourceVersion !== undefined && preconditions.resourceVersion !== resourceVersion) {
    throw conflict(
      who,
      namespaces
        ? `Precondition failed: ResourceVersion in precondition: ${preconditions.resourceVersion}, ResourceVersion in object meta: ${resourceVersion ?? ''}`
        : `the ResourceVersion in the precondition (${preconditions.resourceVersion}) does not match the ResourceVersion in record (${resourceVersion ?? ''}). The object might have been modified`,
    );
  }
}
