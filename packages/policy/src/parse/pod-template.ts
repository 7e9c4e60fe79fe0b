import type { KubeRequest, PatchType, Verb } from '../types.js';
import { decodeBody } from './body.js';

/**
 * Where each kind keeps what its pods run: a Pod's `spec`, a workload's `spec.template`, a
 * CronJob's `spec.jobTemplate`, a PodTemplate's `template`. A write there chooses images,
 * commands, service accounts, volumes (Secrets included) and node selectors.
 */
const TEMPLATES: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>> = {
  '': { pods: ['spec'], replicationcontrollers: ['spec', 'template'], podtemplates: ['template'] },
  apps: {
    deployments: ['spec', 'template'],
    statefulsets: ['spec', 'template'],
    daemonsets: ['spec', 'template'],
    replicasets: ['spec', 'template'],
  },
  extensions: {
    deployments: ['spec', 'template'],
    daemonsets: ['spec', 'template'],
    replicasets: ['spec', 'template'],
  },
  batch: { jobs: ['spec', 'template'], cronjobs: ['spec', 'jobTemplate'] },
};

export interface PodTemplateTarget {
  readonly verb: Verb;
  readonly apiGroup: string;
  readonly resource: string;
  readonly subresource: string | undefined;
  readonly patchType: PatchType | undefined;
}

/**
 * Whether the request creates or changes what a pod runs: a create or update (PUT) of a pod or a
 * pod-template workload, or a patch whose body reaches the template (`kubectl set image`,
 * `set env`, `rollout restart`, a DaemonSet nodeSelector…). A patch body the parser cannot read
 * counts (fail closed).
 */
export function writesPodTemplate(req: KubeRequest, t: PodTemplateTarget): boolean {
  const path = TEMPLATES[t.apiGroup]?.[t.resource];
  if (path === undefined || t.subresource !== undefined) return false;
  if (t.verb === 'create' || t.verb === 'update') return true;
  if (t.verb !== 'patch') return false;
  if (t.patchType === undefined || t.patchType === 'unknown') return true;
  const body = decodeBody(req, t.patchType === 'apply' ? 'yaml' : 'json')?.value;
  if (body === undefined) return true;
  if (t.patchType === 'json') return jsonPatchReaches(body, `/${path.join('/')}`);
  if (t.patchType === 'strategic' && hasDirective(body, path)) return true;
  return objectReaches(body, path);
}

/** An object patch reaches the template when it names it, or sets or clears one of its parents. */
function objectReaches(body: unknown, path: readonly string[]): boolean {
  let node = body;
  for (const key of path) {
    if (!isObject(node)) return true;
    if (!(key in node)) return false;
    node = node[key];
  }
  return true;
}

/** Strategic-merge `$patch`/`$retainKeys` on the way down replace or prune what the patch does not name. */
function hasDirective(body: unknown, path: readonly string[]): boolean {
  let node = body;
  for (const key of ['', ...path]) {
    if (key !== '') node = isObject(node) ? node[key] : undefined;
    if (isObject(node) && ('$patch' in node || '$retainKeys' in node)) return true;
  }
  return false;
}

/** RFC 6902: any operation whose path or source is the template, inside it, or one of its parents. */
function jsonPatchReaches(ops: unknown, pointer: string): boolean {
  if (!Array.isArray(ops)) return true;
  const related = (p: unknown) =>
    typeof p !== 'string' ||
    p === pointer ||
    p.startsWith(`${pointer}/`) ||
    pointer.startsWith(`${p}/`) ||
    p === '';
  return ops.some((op) => {
    if (!isObject(op)) return true;
    if (op.op === 'test') return false;
    return related(op.path) || ((op.op === 'move' || op.op === 'copy') && related(op.from));
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
