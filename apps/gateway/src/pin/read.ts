import type { NamespaceContents, PinnedTarget } from '@gatehouse/approvals';
import type { Action, ResourceAction } from '@gatehouse/policy';
import { type KubeReader, unlessForbidden } from '../preview/kube.js';
import { countOf, type KubeList, PAGE, singular } from '../preview/objects.js';
import { type ResourceRef, resourcePath } from '../preview/paths.js';

/** A target the dispatch can pin: one named object a delete, update or patch changes, or the pod of a session. */
export interface PinRef extends ResourceRef {
  readonly name: string;
  /** A namespace delete: its contents are counted too. */
  readonly namespaceDelete: boolean;
}

const PINNED_VERBS = new Set(['delete', 'update', 'patch']);
const CONNECT_VERBS = new Set(['exec', 'attach', 'portforward']);

/** What a request's approval pins, or undefined (creates, collections, subresources other than a session's). */
export function pinRefOf(action: Action): PinRef | undefined {
  if (action.kind !== 'resource' || action.dryRun || !action.name) return undefined;
  const a: ResourceAction = action;
  const namespaces = a.apiGroup === '' && a.resource === 'namespaces';
  // The API server's RequestInfo gives a namespace object its own name as namespace; it lives at /api/v1/namespaces/<name>.
  const ref = {
    group: a.apiGroup,
    version: a.apiVersion,
    resource: a.resource,
    namespace: namespaces ? undefined : a.namespace,
  };
  if (CONNECT_VERBS.has(a.verb) && a.resource === 'pods' && a.apiGroup === '' && a.namespace)
    return { ...ref, name: a.name!, namespaceDelete: false };
  if (!PINNED_VERBS.has(a.verb) || a.subresource) return undefined;
  const namespaceDelete = a.verb === 'delete' && namespaces;
  return { ...ref, name: a.name!, namespaceDelete };
}

interface Meta {
  readonly metadata: { readonly uid?: string; readonly resourceVersion?: string };
}

const WORKLOADS = ['deployments', 'statefulsets', 'daemonsets'] as const;

/**
 * What a namespace holds, counted as the approval message counts it (metadata-only lists, a page of
 * `PAGE`). undefined when the gateway may not list one of them: then growth cannot be compared.
 */
async function contentsOf(reader: KubeReader, namespace: string): Promise<NamespaceContents | undefined> {
  const count = (group: string, resource: string) =>
    unlessForbidden(
      reader
        .list<KubeList>(resourcePath({ group, version: 'v1', resource, namespace }), {
          metadataOnly: true,
          query: { limit: PAGE },
        })
        .then((list) => countOf(list).count),
    );
  const counts = await Promise.all([
    ...WORKLOADS.map((resource) => count('apps', resource)),
    count('', 'pods'),
    count('', 'persistentvolumeclaims'),
  ]);
  if (counts.includes('forbidden')) return undefined;
  const [deployments, statefulsets, daemonsets, pods, pvcs] = counts as number[];
  return { workloads: deployments! + statefulsets! + daemonsets!, pods: pods!, pvcs: pvcs! };
}

/**
 * The target as the cluster has it now (read as the gateway itself, metadata only: a Secret's data
 * is never fetched), or undefined when it does not exist. `contents`: count a namespace's workloads,
 * pods and PVCs too.
 */
export async function readPin(
  reader: KubeReader,
  ref: PinRef,
  options: { readonly contents: boolean },
): Promise<PinnedTarget | undefined> {
  const [object, contents] = await Promise.all([
    reader.get<Meta>(resourcePath(ref), { metadataOnly: true }),
    ref.namespaceDelete && options.contents ? contentsOf(reader, ref.name) : undefined,
  ]);
  const { uid, resourceVersion } = object?.metadata ?? {};
  if (!uid || !resourceVersion) return undefined;
  return {
    kind: singular(ref.resource),
    name: ref.name,
    namespace: ref.namespace,
    uid,
    resourceVersion,
    contents,
  };
}
