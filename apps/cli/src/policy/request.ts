import type { KubeRequest } from '@gatehouse/policy';
import { CliUsageError } from '../errors.js';

/** `DELETE /api/v1/namespaces/payments?dryRun=All` as the request the gateway would see. */
export function requestFromLine(line: string): KubeRequest {
  const match = /^\s*([A-Za-z]+)\s+(\/\S*)\s*$/.exec(line);
  if (!match) {
    throw new CliUsageError(
      `--request ${JSON.stringify(line)}: expected METHOD /path[?query], e.g. 'DELETE /api/v1/namespaces/payments'`,
    );
  }
  const target = match[2]!;
  const q = target.indexOf('?');
  return {
    method: match[1]!.toUpperCase(),
    path: q < 0 ? target : target.slice(0, q),
    query: q < 0 ? '' : target.slice(q + 1),
    headers: {},
  };
}

interface ResourceType {
  readonly plural: string;
  readonly groupVersion: string;
  readonly clusterScoped?: true;
}

const core = (plural: string, clusterScoped?: true): ResourceType => ({
  plural,
  groupVersion: 'v1',
  ...(clusterScoped && { clusterScoped }),
});
const apps = (plural: string): ResourceType => ({ plural, groupVersion: 'apps/v1' });
const batch = (plural: string): ResourceType => ({ plural, groupVersion: 'batch/v1' });

/** The names kubectl accepts for the common kinds (singular, short name; a trailing s is dropped). */
const RESOURCES: Readonly<Record<string, ResourceType>> = {
  namespace: core('namespaces', true),
  ns: core('namespaces', true),
  node: core('nodes', true),
  no: core('nodes', true),
  persistentvolume: core('persistentvolumes', true),
  pv: core('persistentvolumes', true),
  pod: core('pods'),
  po: core('pods'),
  service: core('services'),
  svc: core('services'),
  configmap: core('configmaps'),
  cm: core('configmaps'),
  secret: core('secrets'),
  persistentvolumeclaim: core('persistentvolumeclaims'),
  pvc: core('persistentvolumeclaims'),
  serviceaccount: core('serviceaccounts'),
  sa: core('serviceaccounts'),
  deployment: apps('deployments'),
  deploy: apps('deployments'),
  statefulset: apps('statefulsets'),
  sts: apps('statefulsets'),
  daemonset: apps('daemonsets'),
  ds: apps('daemonsets'),
  replicaset: apps('replicasets'),
  rs: apps('replicasets'),
  job: batch('jobs'),
  cronjob: batch('cronjobs'),
  cj: batch('cronjobs'),
  ingress: { plural: 'ingresses', groupVersion: 'networking.k8s.io/v1' },
  ing: { plural: 'ingresses', groupVersion: 'networking.k8s.io/v1' },
  customresourcedefinition: {
    plural: 'customresourcedefinitions',
    groupVersion: 'apiextensions.k8s.io/v1',
    clusterScoped: true,
  },
  crd: { plural: 'customresourcedefinitions', groupVersion: 'apiextensions.k8s.io/v1', clusterScoped: true },
};

const COMMANDS = 'get, delete, scale --replicas, exec, attach, port-forward, logs';

interface KubectlLine {
  readonly namespace: string;
  readonly replicas: string | undefined;
  /** Arguments that are not flags; those after `--` (an exec's command) in `command`. */
  readonly positional: readonly string[];
  readonly command: readonly string[];
}

function splitArgs(args: readonly string[]): KubectlLine {
  let namespace = 'default';
  let replicas: string | undefined;
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') return { namespace, replicas, positional, command: args.slice(i + 1) };
    const eq = arg.indexOf('=');
    const flag = eq < 0 ? arg : arg.slice(0, eq);
    const value = () => (eq < 0 ? (args[++i] ?? '') : arg.slice(eq + 1));
    if (flag === '-n' || flag === '--namespace') namespace = value();
    else if (flag === '--replicas') replicas = value();
    else if (!flag.startsWith('-')) positional.push(arg);
  }
  return { namespace, replicas, positional, command: [] };
}

/**
 * The request a kubectl command line sends for what the policy judges (not the discovery and reads
 * around it), for the commands approvals are usually about. Anything else: --request with the URL.
 */
export function requestFromKubectl(argv: readonly string[]): KubeRequest {
  const args = argv[0] === 'kubectl' ? argv.slice(1) : argv;
  const line = splitArgs(args);
  const [verb, target = '', name] = line.positional;
  const unsupported = () =>
    new CliUsageError(
      `cannot tell which request 'kubectl ${args.join(' ')}' sends; supported: ${COMMANDS}; otherwise pass --request 'METHOD /path'`,
    );
  const pods = `/api/v1/namespaces/${line.namespace}/pods`;
  if (verb === 'exec' || verb === 'attach' || verb === 'port-forward' || verb === 'logs') {
    const pod = target.replace(/^(pods?|po)\//, '');
    if (pod === '') throw unsupported();
    if (verb === 'logs') return { method: 'GET', path: `${pods}/${pod}/log`, query: '', headers: {} };
    const sub = verb === 'port-forward' ? 'portforward' : verb;
    const query = line.command.map((c) => `command=${encodeURIComponent(c)}`).join('&');
    return { method: 'POST', path: `${pods}/${pod}/${sub}`, query, headers: {} };
  }
  if (verb !== 'get' && verb !== 'delete' && verb !== 'scale') throw unsupported();
  const slash = target.indexOf('/');
  const kind = (slash < 0 ? target : target.slice(0, slash)).toLowerCase();
  const type = RESOURCES[kind] ?? RESOURCES[kind.replace(/e?s$/, '')] ?? RESOURCES[kind.replace(/s$/, '')];
  if (type === undefined) throw unsupported();
  const objectName = slash < 0 ? name : target.slice(slash + 1);
  const base = type.groupVersion === 'v1' ? '/api/v1' : `/apis/${type.groupVersion}`;
  const collection = `${base}${type.clusterScoped ? '' : `/namespaces/${line.namespace}`}/${type.plural}`;
  if (verb === 'scale') {
    if (objectName === undefined || line.replicas === undefined) throw unsupported();
    return {
      method: 'PATCH',
      path: `${collection}/${objectName}/scale`,
      query: '',
      headers: { 'content-type': 'application/merge-patch+json' },
      body: new TextEncoder().encode(JSON.stringify({ spec: { replicas: Number(line.replicas) } })),
    };
  }
  const path = objectName === undefined ? collection : `${collection}/${objectName}`;
  return { method: verb === 'get' ? 'GET' : 'DELETE', path, query: '', headers: {} };
}
