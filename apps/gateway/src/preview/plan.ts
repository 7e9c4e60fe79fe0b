import type { Action, ResourceAction } from '@gatehouse/policy';
import { isWrite } from './change.js';
import { collectionPreview } from './collection.js';
import type { KubeReader } from './kube.js';
import { namespacePreview } from './namespace.js';
import { objectPreview } from './object.js';
import { podSessionPreview } from './pod.js';
import { workloadKind, workloadPreview } from './workload.js';

/**
 * What a preview reads for one action: a description of the blast radius, whether to dry-run it,
 * and for a write how its change is shown: `diff` (live object against the dry run), or `body`
 * where no dry run is safe.
 */
export interface PreviewPlan {
  readonly describe?: ((reader: KubeReader, now: number) => Promise<string>) | undefined;
  readonly dryRun: boolean;
  readonly change?: 'diff' | 'body' | undefined;
}

const MUTATING = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);
const CONNECT = new Set(['exec', 'attach', 'portforward']);

/**
 * API groups the API server serves itself, where `dryRun=All` is honoured. An aggregated API server
 * (any other group may be one) could ignore the parameter and *do* the change before anyone approved.
 */
const BUILTIN_GROUPS = new Set([
  '',
  'apps',
  'batch',
  'autoscaling',
  'policy',
  'networking.k8s.io',
  'rbac.authorization.k8s.io',
  'storage.k8s.io',
  'scheduling.k8s.io',
  'coordination.k8s.io',
  'discovery.k8s.io',
  'node.k8s.io',
  'admissionregistration.k8s.io',
  'apiextensions.k8s.io',
  'certificates.k8s.io',
  'events.k8s.io',
]);

function describer(a: ResourceAction): PreviewPlan['describe'] {
  const ref = { group: a.apiGroup, version: a.apiVersion, resource: a.resource, namespace: a.namespace };
  const { name, namespace } = a;
  if (a.verb === 'delete' && a.apiGroup === '' && a.resource === 'namespaces' && name && !a.subresource)
    return (reader, now) => namespacePreview(reader, name, now);
  if (CONNECT.has(a.verb) && a.resource === 'pods' && namespace && name) {
    const verb = a.verb === 'portforward' ? 'port-forward to' : `${a.verb} into`;
    return (reader) => podSessionPreview(reader, { namespace, name, container: a.container }, verb);
  }
  if (a.verb === 'deletecollection') return (reader) => collectionPreview(reader, ref, a);
  const workload = workloadKind(a.apiGroup, a.resource) !== undefined && namespace && name;
  if (workload && ((a.verb === 'delete' && !a.subresource) || a.scaleToZero)) {
    const change = a.verb === 'delete' ? 'delete' : 'scale-to-zero';
    return (reader, now) => workloadPreview(reader, { ...ref, namespace, name }, change, now);
  }
  if (a.verb === 'delete' && name && !a.subresource)
    return (reader, now) => objectPreview(reader, { ...ref, name }, now);
  return undefined;
}

/** undefined: nothing worth reading (not a resource, or a read-only or unknown verb). */
export function planPreview(action: Action): PreviewPlan | undefined {
  if (action.kind !== 'resource') return undefined;
  const describe = describer(action);
  const dryRun = MUTATING.has(action.verb) && !action.dryRun && BUILTIN_GROUPS.has(action.apiGroup);
  const change = !isWrite(action) || action.dryRun ? undefined : dryRun ? 'diff' : 'body';
  return describe || dryRun || change ? { describe, dryRun, change } : undefined;
}
