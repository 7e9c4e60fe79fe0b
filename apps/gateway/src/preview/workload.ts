import { type KubeReader, unlessForbidden } from './kube.js';
import { ageOf, firstNames, type KubeList, type KubeObject, PAGE } from './objects.js';
import { type ResourceRef, resourcePath } from './paths.js';
import { type LabelSelector, labelSelectorMatches, serviceSelects } from './selectors.js';

/** Workloads that run pods, by `<group>/<resource>`, with their kind as people say it. */
const WORKLOADS: Readonly<Record<string, string>> = {
  'apps/deployments': 'Deployment',
  'apps/statefulsets': 'StatefulSet',
  'apps/replicasets': 'ReplicaSet',
  'apps/daemonsets': 'DaemonSet',
  '/replicationcontrollers': 'ReplicationController',
};

export const workloadKind = (group: string, resource: string): string | undefined =>
  WORKLOADS[`${group}/${resource}`];

interface Workload extends KubeObject {
  readonly spec?: {
    readonly replicas?: number;
    readonly template?: { readonly metadata?: { readonly labels?: Readonly<Record<string, string>> } };
  };
  readonly status?: {
    readonly replicas?: number;
    readonly readyReplicas?: number;
    /** DaemonSets count nodes, not replicas. */
    readonly desiredNumberScheduled?: number;
    readonly numberReady?: number;
  };
}

interface Service extends KubeObject {
  readonly spec?: { readonly selector?: Readonly<Record<string, string>> };
}

interface Pdb extends KubeObject {
  readonly spec?: { readonly selector?: LabelSelector };
}

interface Hpa extends KubeObject {
  readonly spec?: { readonly scaleTargetRef?: { readonly kind?: string; readonly name?: string } };
}

/**
 * Deleting a workload or scaling it to zero: how many replicas run now and are ready, and what
 * points at it — Services whose selector matches its pods, PDBs guarding them, HPAs scaling it.
 */
export async function workloadPreview(
  reader: KubeReader,
  ref: ResourceRef & { readonly name: string; readonly namespace: string },
  change: 'delete' | 'scale-to-zero',
  now: number,
): Promise<string> {
  const kind = workloadKind(ref.group, ref.resource) ?? ref.resource;
  const inNamespace = (group: string, version: string, resource: string) =>
    resourcePath({ group, version, resource, namespace: ref.namespace });
  const page = { query: { limit: PAGE } };
  const [workload, services, pdbs, hpas] = await Promise.all([
    reader.get<Workload>(resourcePath(ref)),
    unlessForbidden(reader.list<KubeList<Service>>(inNamespace('', 'v1', 'services'), page)),
    unlessForbidden(reader.list<KubeList<Pdb>>(inNamespace('policy', 'v1', 'poddisruptionbudgets'), page)),
    unlessForbidden(
      reader.list<KubeList<Hpa>>(inNamespace('autoscaling', 'v2', 'horizontalpodautoscalers'), page),
    ),
  ]);
  if (!workload) return `${kind} ${ref.name} does not exist in namespace ${ref.namespace}`;

  const labels = workload.spec?.template?.metadata?.labels ?? {};
  const pointers: string[] = [];
  const unreadable: string[] = [];
  /** The names in `list` that `selects` keeps; a list RBAC hid from the gateway is named as a gap. */
  function pointing<T extends KubeObject>(
    what: string,
    list: KubeList<T> | 'forbidden' | undefined,
    selects: (item: T) => boolean,
  ): void {
    if (list === 'forbidden') {
      unreadable.push(`${what}s`);
      return;
    }
    const names = (list?.items ?? []).filter(selects).map((item) => item.metadata.name);
    if (names.length > 0) pointers.push(`${what}${names.length === 1 ? '' : 's'} ${firstNames(names)}`);
  }
  pointing('service', services, (s) => serviceSelects(s.spec?.selector, labels));
  pointing('PDB', pdbs, (p) => labelSelectorMatches(p.spec?.selector, labels));
  pointing(
    'HPA',
    hpas,
    (h) => h.spec?.scaleTargetRef?.kind === kind && h.spec.scaleTargetRef.name === ref.name,
  );

  const status = workload.status ?? {};
  const daemon = kind === 'DaemonSet';
  const replicas = daemon
    ? (status.desiredNumberScheduled ?? 0)
    : (workload.spec?.replicas ?? status.replicas ?? 0);
  const ready = daemon ? (status.numberReady ?? 0) : (status.readyReplicas ?? 0);
  const age = ageOf(workload.metadata, now);
  const what = `${kind} ${ref.name}${age ? ` (age ${age})` : ''}`;
  const verb = change === 'delete' ? `Would delete ${what}` : `Would scale ${what} to 0`;
  const running = `${replicas} ${daemon ? 'scheduled' : `replica${replicas === 1 ? '' : 's'}`}, ${ready} ready`;
  const selected =
    pointers.length > 0 ? `selected by ${pointers.join('; ')}` : 'no service, PDB or HPA points at it';
  // RBAC may keep the gateway from listing some kinds: say so instead of failing the preview.
  const gaps =
    unreadable.length > 0 ? `; not readable with the gateway's credentials: ${unreadable.join(', ')}` : '';
  return `${verb}: now ${running}; ${selected}${gaps}`;
}
