import { type KubeReader, unlessForbidden } from './kube.js';
import { ageOf, type Count, counted, countOf, type KubeList, type KubeObject, PAGE } from './objects.js';
import { resourcePath } from './paths.js';
import { formatBytes, parseQuantity } from './quantity.js';

interface Contents {
  readonly one: string;
  readonly many?: string;
  readonly group: string;
  readonly version: string;
  readonly resource: string;
}

/** What deleting a namespace takes with it, in the order the message lists them. */
const CONTENTS: readonly Contents[] = [
  { one: 'deployment', group: 'apps', version: 'v1', resource: 'deployments' },
  { one: 'statefulset', group: 'apps', version: 'v1', resource: 'statefulsets' },
  { one: 'daemonset', group: 'apps', version: 'v1', resource: 'daemonsets' },
  { one: 'pod', group: '', version: 'v1', resource: 'pods' },
  { one: 'service', group: '', version: 'v1', resource: 'services' },
  { one: 'ingress', many: 'ingresses', group: 'networking.k8s.io', version: 'v1', resource: 'ingresses' },
  { one: 'PVC', group: '', version: 'v1', resource: 'persistentvolumeclaims' },
  { one: 'configmap', group: '', version: 'v1', resource: 'configmaps' },
  { one: 'secret', group: '', version: 'v1', resource: 'secrets' },
  { one: 'job', group: 'batch', version: 'v1', resource: 'jobs' },
  { one: 'cronjob', group: 'batch', version: 'v1', resource: 'cronjobs' },
];

interface Claim extends KubeObject {
  readonly spec?: { readonly resources?: { readonly requests?: { readonly storage?: string } } };
}

/**
 * `delete namespace`: how many of each kind it holds, running pods, and the storage its PVCs
 * request. Every list but the PVCs' is metadata-only (counts, never contents: Secrets stay unread).
 */
export async function namespacePreview(reader: KubeReader, namespace: string, now: number): Promise<string> {
  const counts = (contents: Contents, query: Record<string, string> = {}) =>
    unlessForbidden(
      reader
        .list<KubeList>(resourcePath({ ...contents, namespace }), {
          metadataOnly: true,
          query: { limit: PAGE, ...query },
        })
        .then(countOf),
    );
  const pods = CONTENTS.find((contents) => contents.resource === 'pods')!;
  const claims = CONTENTS.find((contents) => contents.resource === 'persistentvolumeclaims')!;
  const [found, running, claimList, ...all] = await Promise.all([
    reader.get<KubeObject>(
      resourcePath({ group: '', version: 'v1', resource: 'namespaces', name: namespace }),
      {
        metadataOnly: true,
      },
    ),
    counts(pods, { fieldSelector: 'status.phase=Running' }),
    unlessForbidden(
      reader.list<KubeList<Claim>>(resourcePath({ ...claims, namespace }), { query: { limit: PAGE } }),
    ),
    ...CONTENTS.map((contents) => counts(contents)),
  ]);
  if (!found) return `Namespace ${namespace} does not exist`;

  const parts: string[] = [];
  const unreadable: string[] = [];
  CONTENTS.forEach((contents, index) => {
    const count = all[index] as Count | 'forbidden';
    if (count === 'forbidden') {
      unreadable.push(contents.many ?? `${contents.one}s`);
      return;
    }
    if (count.count === 0) return;
    let text = counted(count, contents.one, contents.many);
    if (contents === pods && running !== 'forbidden') text += ` (${counted(running, 'running', 'running')})`;
    if (contents === claims && claimList !== 'forbidden')
      text += ` (${formatBytes(requestedStorage(claimList))})`;
    parts.push(text);
  });
  const age = ageOf(found.metadata, now);
  const what = `namespace ${namespace}${age ? ` (age ${age})` : ''}`;
  const summary =
    parts.length > 0
      ? `Would delete ${what} with ${parts.join(', ')}`
      : `Would delete ${what}; it holds no ${unreadable.length > 0 ? 'readable objects' : 'workloads, pods, services, volumes, configmaps or secrets'}`;
  // RBAC may keep the gateway from listing some kinds (Secrets, typically): say so instead of failing.
  return unreadable.length > 0
    ? `${summary}; not readable with the gateway's credentials: ${unreadable.join(', ')}`
    : summary;
}

function requestedStorage(list: KubeList<Claim> | undefined): number {
  let total = 0;
  for (const claim of list?.items ?? []) {
    total += parseQuantity(claim.spec?.resources?.requests?.storage ?? '') ?? 0;
  }
  return total;
}
