/** The few fields of Kubernetes objects previews read; everything else in an answer is ignored. */

export interface OwnerReference {
  readonly kind: string;
  readonly name: string;
  readonly controller?: boolean;
}

export interface ObjectMeta {
  readonly name: string;
  readonly namespace?: string;
  readonly creationTimestamp?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly ownerReferences?: readonly OwnerReference[];
}

export interface KubeObject {
  readonly metadata: ObjectMeta;
}

export interface KubeList<T extends KubeObject = KubeObject> {
  readonly metadata?: { readonly continue?: string; readonly remainingItemCount?: number };
  readonly items?: readonly T[];
}

/** Lists are read a page at a time; a namespace with more shows "500+". */
export const PAGE = '500';

/** How many objects a list holds; `atLeast` when the server paged without saying how many remain. */
export interface Count {
  readonly count: number;
  readonly atLeast: boolean;
}

export function countOf(list: KubeList | undefined): Count {
  const items = list?.items?.length ?? 0;
  const remaining = list?.metadata?.remainingItemCount;
  return {
    count: items + (remaining ?? 0),
    atLeast: remaining === undefined && Boolean(list?.metadata?.continue),
  };
}

/** `3 deployments`, `500+ pods`, `1 ingress`. */
export function counted(count: Count, one: string, many = `${one}s`): string {
  return `${count.count}${count.atLeast ? '+' : ''} ${count.count === 1 && !count.atLeast ? one : many}`;
}

/** How old an object is, kubectl-style: `45s`, `12m`, `5h`, `3d`. */
export function ageOf(meta: ObjectMeta, now: number): string | undefined {
  const created = meta.creationTimestamp ? Date.parse(meta.creationTimestamp) : Number.NaN;
  if (Number.isNaN(created)) return undefined;
  const seconds = Math.max(0, Math.floor((now - created) / 1000));
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 172_800) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86_400)}d`;
}

/** The owner that controls an object (a Deployment's ReplicaSet, a pod's ReplicaSet), if any. */
export function controllerOf(meta: ObjectMeta): OwnerReference | undefined {
  return meta.ownerReferences?.find((owner) => owner.controller) ?? meta.ownerReferences?.[0];
}

/** `a, b, c and 4 more`: names lists stay one line. */
export function firstNames(names: readonly string[], total = names.length, max = 5): string {
  const shown = names.slice(0, max).join(', ');
  return total > max ? `${shown} and ${total - Math.min(max, names.length)} more` : shown;
}

/** `deployments` → `deployment`, `ingresses` → `ingress`, `networkpolicies` → `networkpolicy`. */
export function singular(resource: string): string {
  if (resource.endsWith('ies')) return `${resource.slice(0, -3)}y`;
  if (/(ss|ch|sh|x)es$/.test(resource)) return resource.slice(0, -2);
  return resource.endsWith('s') ? resource.slice(0, -1) : resource;
}
