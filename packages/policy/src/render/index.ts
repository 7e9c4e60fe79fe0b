import { keepsReplicas } from '../parse/scale.js';
import type { Action, ResourceAction } from '../types.js';
import { isClusterScoped, typeName } from './names.js';
import { escapeInvisible, printable } from './printable.js';

/**
 * A kubectl-style one-liner for humans (the Slack message, the audit log): what the
 * request does, not necessarily the exact command the agent typed. Body-dependent parts
 * kubectl reads from a file show as `-f -`; what the policy saw in the body (a replica
 * count) is added as a trailing `# comment`. Invisible characters are escaped ({@link escapeInvisible}).
 */
export function renderCommand(action: Action): string {
  switch (action.kind) {
    case 'unclassified':
      return `${printable(action.method)} ${printable(action.path)}`;
    case 'nonResource':
      return escapeInvisible(`kubectl get --raw ${quote(action.path)}`);
    case 'resource':
      // Complete (never cut: who shows it shortens it and says so) and with nothing invisible: an
      // exec argument holding U+202E reads as `\u202E`, not as text reversed.
      return escapeInvisible(renderResource(action));
  }
}

/** Subcommands for `--raw`, by method: kubectl has no raw PATCH. */
const RAW_SUBCOMMANDS: Readonly<Record<string, string>> = {
  GET: 'get',
  HEAD: 'get',
  POST: 'create',
  PUT: 'replace',
  DELETE: 'delete',
};

function renderResource(a: ResourceAction): string {
  const q = new URLSearchParams(a.query ?? '');
  const one = a.name === undefined ? '' : `${typeName(a.resource, a.apiGroup, true)} ${a.name}`;
  const slashed = a.name === undefined ? '' : `${typeName(a.resource, a.apiGroup, true)}/${a.name}`;
  const many = typeName(a.resource, a.apiGroup, false);
  const ns = namespaceFlag(a);
  const dry = a.dryRun ? ' --dry-run=server' : '';
  const sub = a.subresource;

  switch (a.verb) {
    case 'exec':
      return `kubectl exec${interactive(q)}${ns} ${a.name}${containerFlag(a)}${commandTail(a.command)}`;
    case 'attach':
      return `kubectl attach${interactive(q)}${ns} ${a.name}${containerFlag(a)}`;
    case 'portforward':
      return `kubectl port-forward${ns} ${slashed}${q
        .getAll('ports')
        .map((p) => ` ${quote(p)}`)
        .join('')}`;
    case 'get':
      if (sub === 'log')
        return `kubectl logs ${a.name}${ns}${containerFlag(a)}${q.get('follow') === 'true' ? ' -f' : ''}`;
      if (sub === 'status' || sub === 'scale') return `kubectl get ${one}${ns} --subresource=${sub}`;
      if (sub !== undefined) return raw(a);
      return `kubectl get ${one}${ns}`;
    case 'list':
    case 'watch':
      return `kubectl get ${a.name === undefined ? many + selectors(a) : one}${ns}${a.verb === 'watch' ? ' --watch' : ''}`;
    case 'create':
      return sub === undefined ? `kubectl create -f -${ns}${dry}  # ${many}` : raw(a);
    case 'update':
      if (sub === 'scale' && a.replicas !== undefined) return scale(a, slashed, ns, dry);
      return sub === undefined
        ? `kubectl replace -f -${ns}${dry}  # ${[slashed, ...replicasNote(a)].join(', ')}`
        : raw(a);
    case 'patch':
      if (sub === 'scale' && a.replicas !== undefined) return scale(a, slashed, ns, dry);
      if (a.patchType === 'apply' && sub === undefined) {
        return `kubectl apply --server-side -f -${ns}${dry}  # ${[slashed, ...replicasNote(a)].join(', ')}`;
      }
      return patch(a, one, ns, dry);
    case 'delete':
      return sub === undefined ? `kubectl delete ${one}${ns}${dry}` : raw(a);
    case 'deletecollection': {
      const which = a.labelSelector === undefined && a.fieldSelector === undefined ? ' --all' : selectors(a);
      return `kubectl delete ${many}${which}${ns}${dry}`;
    }
    default:
      return raw(a);
  }
}

function namespaceFlag(a: ResourceAction): string {
  if (isClusterScoped(a.resource, a.apiGroup)) return '';
  if (a.namespace !== undefined) return ` -n ${a.namespace}`;
  // A namespaced resource listed without a namespace: every namespace.
  return a.name === undefined ? ' -A' : '';
}

function scale(a: ResourceAction, slashed: string, ns: string, dry: string): string {
  const caveat = storedReplicas(a);
  return `kubectl scale ${slashed} --replicas=${a.replicas}${ns}${dry}${caveat === undefined ? '' : `  # ${caveat}`}`;
}

function patch(a: ResourceAction, one: string, ns: string, dry: string): string {
  const subresource = a.subresource === undefined ? '' : ` --subresource=${a.subresource}`;
  const note = replicasNote(a)
    .map((n) => `  # ${n}`)
    .join('');
  return `kubectl patch ${one}${ns}${subresource} --type=${a.patchType}${dry}${note}`;
}

/** What the body does to spec.replicas, as a comment for humans ([] when nothing). */
function replicasNote(a: ResourceAction): string[] {
  if (a.replicas !== undefined) {
    const caveat = storedReplicas(a);
    return [`sets spec.replicas=${a.replicas}`, ...(caveat === undefined ? [] : [caveat])];
  }
  return a.scaleToZero ? ['body unreadable: may set spec.replicas=0'] : [];
}

/** int32's bounds, where the API server keeps a count as written (and validation refuses a negative one). */
const MIN_INT32 = -(2 ** 31);
const MAX_INT32 = 2 ** 31 - 1;

/**
 * What the API server makes of a replica count that is not an int32 (4294967296, 0.5), so an
 * approver does not read `--replicas=4294967296` as "more": the strategic-merge and apply paths
 * decode through `runtime.DefaultUnstructuredConverter.FromUnstructured`, which truncates a fraction
 * toward zero and keeps the low 32 bits (4294967296 → 0, 4294967297 → 1); the JSON paths (PUT,
 * merge and JSON patch) refuse it (`cannot unmarshal number … of type int32`). Undefined for a
 * count the API server stores as written.
 */
function storedReplicas(a: ResourceAction): string | undefined {
  const value = a.replicas;
  if (value === undefined || keepsReplicas(value)) return undefined;
  if (Number.isInteger(value) && value >= MIN_INT32 && value <= MAX_INT32) return undefined;
  const whole = Math.trunc(value);
  const truncated = Number.isSafeInteger(whole)
    ? `spec.replicas=${Number(BigInt.asIntN(32, BigInt(whole)))}`
    : 'an arbitrary int32';
  return a.patchType === 'strategic' || a.patchType === 'apply'
    ? `not an int32: the API server stores ${truncated}`
    : `not an int32: the API server refuses it here, and a strategic-merge or apply patch stores ${truncated}`;
}

function selectors(a: ResourceAction): string {
  const label = a.labelSelector === undefined ? '' : ` -l ${quote(a.labelSelector)}`;
  const field = a.fieldSelector === undefined ? '' : ` --field-selector ${quote(a.fieldSelector)}`;
  return label + field;
}

function interactive(q: URLSearchParams): string {
  const flags = (q.get('stdin') === 'true' ? 'i' : '') + (q.get('tty') === 'true' ? 't' : '');
  return flags === '' ? '' : ` -${flags}`;
}

function containerFlag(a: ResourceAction): string {
  return a.container === undefined ? '' : ` -c ${quote(a.container)}`;
}

function commandTail(command: readonly string[] | undefined): string {
  return command === undefined || command.length === 0 ? '' : ` -- ${command.map(quote).join(' ')}`;
}

/** For hand-built actions without a method. */
const VERB_METHODS: Readonly<Record<string, string>> = {
  create: 'POST',
  update: 'PUT',
  patch: 'PATCH',
  delete: 'DELETE',
  deletecollection: 'DELETE',
};

function raw(a: ResourceAction): string {
  const path = a.path ?? pathOf(a);
  const target = a.query ? `${path}?${a.query}` : path;
  const method = a.method ?? VERB_METHODS[a.verb] ?? 'GET';
  const subcommand = RAW_SUBCOMMANDS[method];
  const body = method === 'POST' || method === 'PUT' ? ' -f -' : '';
  return subcommand === undefined
    ? `${method} ${target}`
    : `kubectl ${subcommand} --raw ${quote(target)}${body}`;
}

/** The URL of a hand-built action that carries no path. */
function pathOf(a: ResourceAction): string {
  const prefix = a.apiGroup === '' ? `/api/${a.apiVersion}` : `/apis/${a.apiGroup}/${a.apiVersion}`;
  const scope = a.namespace === undefined ? [] : ['namespaces', a.namespace];
  return [prefix, ...scope, a.resource, a.name ?? [], a.subresource ?? []].flat().join('/');
}

/** POSIX shell quoting, only when needed, so the line can be pasted. */
function quote(word: string): string {
  return /^[A-Za-z0-9_\-.,/:=@%+]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
