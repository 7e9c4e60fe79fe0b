/** One API resource the fake upstream serves; enough for discovery, routing and the store. */
export interface ResourceType {
  readonly group: string;
  readonly version: string;
  /** Plural, as in the URL. */
  readonly resource: string;
  readonly kind: string;
  readonly singular: string;
  readonly namespaced: boolean;
  readonly shortNames?: readonly string[];
  readonly subresources: readonly SubresourceType[];
  readonly verbs: readonly string[];
  /** A review (access review): created, answered, never stored. */
  readonly review: boolean;
}

export interface SubresourceType {
  readonly name: string;
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly verbs: readonly string[];
}

export const OBJECT_VERBS = [
  'create',
  'delete',
  'deletecollection',
  'get',
  'list',
  'patch',
  'update',
  'watch',
] as const;

const sub = (name: string, kind: string, verbs: string[], group = '', version = 'v1'): SubresourceType => ({
  name,
  group,
  version,
  kind,
  verbs,
});
const status = (group: string, version: string, kind: string) =>
  sub('status', kind, ['get', 'patch', 'update'], group, version);
const scale = sub('scale', 'Scale', ['get', 'patch', 'update'], 'autoscaling', 'v1');

function type(
  gv: string,
  resource: string,
  kind: string,
  namespaced: boolean,
  extra: { shortNames?: string[]; subresources?: SubresourceType[]; review?: boolean } = {},
): ResourceType {
  const [group, version] = gv.includes('/') ? (gv.split('/') as [string, string]) : ['', gv];
  return {
    group,
    version,
    resource,
    kind,
    singular: kind.toLowerCase(),
    namespaced,
    shortNames: extra.shortNames,
    subresources: extra.subresources ?? [],
    verbs: extra.review ? ['create'] : OBJECT_VERBS,
    review: extra.review ?? false,
  };
}

/** The resource set a test cluster offers: the core workloads, their common subresources, RBAC. */
export const RESOURCE_TYPES: readonly ResourceType[] = [
  type('v1', 'namespaces', 'Namespace', false, {
    shortNames: ['ns'],
    subresources: [status('', 'v1', 'Namespace')],
  }),
  type('v1', 'nodes', 'Node', false, { shortNames: ['no'], subresources: [status('', 'v1', 'Node')] }),
  type('v1', 'persistentvolumes', 'PersistentVolume', false, { shortNames: ['pv'] }),
  type('v1', 'pods', 'Pod', true, {
    shortNames: ['po'],
    subresources: [
      sub('attach', 'PodAttachOptions', ['create', 'get']),
      sub('binding', 'Binding', ['create']),
      sub('ephemeralcontainers', 'Pod', ['get', 'patch', 'update']),
      sub('eviction', 'Eviction', ['create'], 'policy', 'v1'),
      sub('exec', 'PodExecOptions', ['create', 'get']),
      sub('log', 'Pod', ['get']),
      sub('portforward', 'PodPortForwardOptions', ['create', 'get']),
      sub('proxy', 'PodProxyOptions', ['create', 'delete', 'get', 'patch', 'update']),
      status('', 'v1', 'Pod'),
    ],
  }),
  type('v1', 'services', 'Service', true, {
    shortNames: ['svc'],
    subresources: [status('', 'v1', 'Service')],
  }),
  type('v1', 'configmaps', 'ConfigMap', true, { shortNames: ['cm'] }),
  type('v1', 'secrets', 'Secret', true),
  type('v1', 'serviceaccounts', 'ServiceAccount', true, {
    shortNames: ['sa'],
    subresources: [sub('token', 'TokenRequest', ['create'], 'authentication.k8s.io', 'v1')],
  }),
  type('v1', 'events', 'Event', true, { shortNames: ['ev'] }),
  type('v1', 'persistentvolumeclaims', 'PersistentVolumeClaim', true, {
    shortNames: ['pvc'],
    subresources: [status('', 'v1', 'PersistentVolumeClaim')],
  }),
  type('v1', 'replicationcontrollers', 'ReplicationController', true, {
    shortNames: ['rc'],
    subresources: [scale, status('', 'v1', 'ReplicationController')],
  }),
  type('apps/v1', 'deployments', 'Deployment', true, {
    shortNames: ['deploy'],
    subresources: [scale, status('apps', 'v1', 'Deployment')],
  }),
  type('apps/v1', 'statefulsets', 'StatefulSet', true, {
    shortNames: ['sts'],
    subresources: [scale, status('apps', 'v1', 'StatefulSet')],
  }),
  type('apps/v1', 'daemonsets', 'DaemonSet', true, {
    shortNames: ['ds'],
    subresources: [status('apps', 'v1', 'DaemonSet')],
  }),
  type('apps/v1', 'replicasets', 'ReplicaSet', true, {
    shortNames: ['rs'],
    subresources: [scale, status('apps', 'v1', 'ReplicaSet')],
  }),
  type('batch/v1', 'jobs', 'Job', true, { subresources: [status('batch', 'v1', 'Job')] }),
  type('batch/v1', 'cronjobs', 'CronJob', true, {
    shortNames: ['cj'],
    subresources: [status('batch', 'v1', 'CronJob')],
  }),
  type('networking.k8s.io/v1', 'ingresses', 'Ingress', true, {
    shortNames: ['ing'],
    subresources: [status('networking.k8s.io', 'v1', 'Ingress')],
  }),
  type('networking.k8s.io/v1', 'networkpolicies', 'NetworkPolicy', true, { shortNames: ['netpol'] }),
  type('policy/v1', 'poddisruptionbudgets', 'PodDisruptionBudget', true, {
    shortNames: ['pdb'],
    subresources: [status('policy', 'v1', 'PodDisruptionBudget')],
  }),
  type('autoscaling/v2', 'horizontalpodautoscalers', 'HorizontalPodAutoscaler', true, {
    shortNames: ['hpa'],
    subresources: [status('autoscaling', 'v2', 'HorizontalPodAutoscaler')],
  }),
  type('autoscaling/v1', 'horizontalpodautoscalers', 'HorizontalPodAutoscaler', true, {
    shortNames: ['hpa'],
    subresources: [status('autoscaling', 'v1', 'HorizontalPodAutoscaler')],
  }),
  type('authorization.k8s.io/v1', 'selfsubjectaccessreviews', 'SelfSubjectAccessReview', false, {
    review: true,
  }),
  type('rbac.authorization.k8s.io/v1', 'roles', 'Role', true),
  type('rbac.authorization.k8s.io/v1', 'rolebindings', 'RoleBinding', true),
  type('rbac.authorization.k8s.io/v1', 'clusterroles', 'ClusterRole', false),
  type('rbac.authorization.k8s.io/v1', 'clusterrolebindings', 'ClusterRoleBinding', false),
];

/** `apiVersion` as objects carry it: `v1` for the core group, `apps/v1` otherwise. */
export const apiVersionOf = (t: { group: string; version: string }): string =>
  t.group === '' ? t.version : `${t.group}/${t.version}`;

/** Group → versions in preference order (first is preferred), derived from the resource set. */
export function groupVersions(): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const t of RESOURCE_TYPES) {
    const versions = groups.get(t.group) ?? [];
    if (!versions.includes(t.version)) versions.push(t.version);
    groups.set(t.group, versions);
  }
  return groups;
}

export function findResourceType(group: string, version: string, resource: string): ResourceType | undefined {
  return RESOURCE_TYPES.find((t) => t.group === group && t.version === version && t.resource === resource);
}

export function resourceTypeForObject(apiVersion: string, kind: string): ResourceType | undefined {
  return RESOURCE_TYPES.find((t) => apiVersionOf(t) === apiVersion && t.kind === kind);
}
