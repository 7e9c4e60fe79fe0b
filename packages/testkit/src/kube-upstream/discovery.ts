import { groupVersions, RESOURCE_TYPES, type ResourceType } from './resources.js';

/** Content type of aggregated discovery; kubectl 1.32 asks for v2 (then v2beta1) before plain JSON. */
export const AGGREGATED_V2 = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';
const AGGREGATED_V2BETA1 = 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList';

export const VERSION_INFO = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0-gatehouse-testkit',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2026-01-01T00:00:00Z',
  goVersion: 'go1.23.4',
  compiler: 'gc',
  platform: 'linux/amd64',
};

/** Which aggregated-discovery version the Accept header asks for, if any (v2 preferred). */
export function aggregatedVersionAccepted(accept: string | undefined): 'v2' | 'v2beta1' | undefined {
  const offered = (accept ?? '').replaceAll(' ', '');
  if (offered.includes('v=v2;as=APIGroupDiscoveryList')) return 'v2';
  if (offered.includes('v=v2beta1;as=APIGroupDiscoveryList')) return 'v2beta1';
  return undefined;
}

export const aggregatedContentType = (version: 'v2' | 'v2beta1'): string =>
  version === 'v2' ? AGGREGATED_V2 : AGGREGATED_V2BETA1;

/** The resources `kubectl get all` covers, as on a real cluster. */
const IN_ALL = new Set([
  'pods',
  'services',
  'replicationcontrollers',
  'deployments',
  'replicasets',
  'statefulsets',
  'daemonsets',
  'jobs',
  'cronjobs',
  'horizontalpodautoscalers',
]);

const typesIn = (group: string, version: string): ResourceType[] =>
  RESOURCE_TYPES.filter((t) => t.group === group && t.version === version);

const groupVersion = (group: string, version: string): string => (group ? `${group}/${version}` : version);

/** GET /api (legacy form). */
export function coreVersions() {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1:443' }],
  };
}

function apiGroup(name: string, versions: string[]) {
  const list = versions.map((version) => ({ groupVersion: groupVersion(name, version), version }));
  return { name, versions: list, preferredVersion: list[0] };
}

/** GET /apis (legacy form). */
export function groupList() {
  const groups = [...groupVersions()].filter(([name]) => name !== '');
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: groups.map(([name, versions]) => apiGroup(name, versions)),
  };
}

/** GET /apis/<group>; undefined for an unknown group. */
export function group(name: string) {
  const versions = groupVersions().get(name);
  if (!versions || name === '') return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(name, versions) };
}

/** GET /api/v1 or /apis/<group>/<version>; undefined when that group-version is not served. */
export function resourceList(group: string, version: string) {
  const types = typesIn(group, version);
  if (types.length === 0) return undefined;
  const resources = types.flatMap((t) => [
    {
      name: t.resource,
      singularName: t.singular,
      namespaced: t.namespaced,
      kind: t.kind,
      verbs: t.verbs,
      ...(t.shortNames ? { shortNames: t.shortNames } : {}),
      ...(IN_ALL.has(t.resource) ? { categories: ['all'] } : {}),
    },
    ...t.subresources.map((s) => ({
      name: `${t.resource}/${s.name}`,
      singularName: '',
      namespaced: t.namespaced,
      ...(s.group !== t.group || s.version !== t.version ? { group: s.group, version: s.version } : {}),
      kind: s.kind,
      verbs: s.verbs,
    })),
  ]);
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: groupVersion(group, version), resources };
}

function discoveryResource(t: ResourceType) {
  return {
    resource: t.resource,
    responseKind: { group: t.group, version: t.version, kind: t.kind },
    scope: t.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: t.singular,
    verbs: t.verbs,
    ...(t.shortNames ? { shortNames: t.shortNames } : {}),
    ...(IN_ALL.has(t.resource) ? { categories: ['all'] } : {}),
    ...(t.subresources.length
      ? {
          subresources: t.subresources.map((s) => ({
            subresource: s.name,
            responseKind: { group: s.group, version: s.version, kind: s.kind },
            verbs: s.verbs,
          })),
        }
      : {}),
  };
}

/** Aggregated discovery: GET /api (core only) or /apis (every named group) in one document. */
export function aggregatedDiscovery(scope: 'core' | 'groups', version: 'v2' | 'v2beta1') {
  const groups = [...groupVersions()].filter(([name]) => (scope === 'core' ? name === '' : name !== ''));
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: `apidiscovery.k8s.io/${version}`,
    metadata: {},
    items: groups.map(([name, versions]) => ({
      metadata: { name, creationTimestamp: null },
      versions: versions.map((v) => ({
        version: v,
        resources: typesIn(name, v).map(discoveryResource),
        freshness: 'Current',
      })),
    })),
  };
}
