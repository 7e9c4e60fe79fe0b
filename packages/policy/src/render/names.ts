/**
 * What kubectl's own discovery would tell us, for the built-in resources only: how a human
 * spells a resource, and which ones are cluster-scoped (so a list without a namespace is not `-A`).
 */

/** API groups whose resources kubectl resolves without a `.group` suffix. */
const BUILT_IN_GROUPS = new Set([
  '',
  'apps',
  'batch',
  'autoscaling',
  'policy',
  'networking.k8s.io',
  'rbac.authorization.k8s.io',
  'storage.k8s.io',
  'apiextensions.k8s.io',
  'admissionregistration.k8s.io',
  'scheduling.k8s.io',
  'coordination.k8s.io',
  'discovery.k8s.io',
  'certificates.k8s.io',
  'node.k8s.io',
  'events.k8s.io',
]);

const SINGULAR: Readonly<Record<string, string>> = {
  pods: 'pod',
  services: 'service',
  namespaces: 'namespace',
  nodes: 'node',
  configmaps: 'configmap',
  secrets: 'secret',
  serviceaccounts: 'serviceaccount',
  persistentvolumes: 'persistentvolume',
  persistentvolumeclaims: 'persistentvolumeclaim',
  replicationcontrollers: 'replicationcontroller',
  deployments: 'deployment',
  statefulsets: 'statefulset',
  replicasets: 'replicaset',
  daemonsets: 'daemonset',
  jobs: 'job',
  cronjobs: 'cronjob',
  ingresses: 'ingress',
  networkpolicies: 'networkpolicy',
  roles: 'role',
  rolebindings: 'rolebinding',
  clusterroles: 'clusterrole',
  clusterrolebindings: 'clusterrolebinding',
  horizontalpodautoscalers: 'horizontalpodautoscaler',
  poddisruptionbudgets: 'poddisruptionbudget',
  customresourcedefinitions: 'customresourcedefinition',
  storageclasses: 'storageclass',
};

const CLUSTER_SCOPED = new Set([
  'namespaces',
  'nodes',
  'persistentvolumes',
  'clusterroles',
  'clusterrolebindings',
  'customresourcedefinitions',
  'storageclasses',
  'priorityclasses',
  'mutatingwebhookconfigurations',
  'validatingwebhookconfigurations',
  'certificatesigningrequests',
  'runtimeclasses',
  'apiservices',
]);

/** `pods`, or `certificates.cert-manager.io` for resources kubectl cannot resolve without the group. */
export function typeName(resource: string, apiGroup: string, singular: boolean): string {
  if (!BUILT_IN_GROUPS.has(apiGroup)) return `${resource}.${apiGroup}`;
  return singular ? (SINGULAR[resource] ?? resource) : resource;
}

export function isClusterScoped(resource: string, apiGroup: string): boolean {
  return BUILT_IN_GROUPS.has(apiGroup) && CLUSTER_SCOPED.has(resource);
}
