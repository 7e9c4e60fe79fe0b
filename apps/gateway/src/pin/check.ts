import type { NamespaceContents, PinnedTarget } from '@gatehouse/approvals';

const NOTHING_SENT = 'nothing was sent; re-run to ask again';

/** `namespace payments-staging`, `pod web-1 in namespace prod-api`. */
export function describeTarget(pin: Pick<PinnedTarget, 'kind' | 'name' | 'namespace'>): string {
  return `${pin.kind} ${pin.name}${pin.namespace === undefined ? '' : ` in namespace ${pin.namespace}`}`;
}

const CONTENTS: readonly [keyof NamespaceContents, string][] = [
  ['workloads', 'workloads'],
  ['pods', 'pods'],
  ['pvcs', 'PVCs'],
];

/** `workloads 3 → 5, pods 12 → 20`: what grew, or '' when nothing did. */
function growth(approved: NamespaceContents, now: NamespaceContents): string {
  return CONTENTS.filter(([field]) => now[field] > approved[field])
    .map(([field, words]) => `${words} ${approved[field]} → ${now[field]}`)
    .join(', ');
}

/**
 * Why the approved request must not be sent, or undefined when the target is the one approved. A
 * session (exec, attach, port-forward) compares the pod's uid only: a pod's resourceVersion moves with
 * every status update, and the approver approved a session in *that* pod. Deletes, updates and patches
 * compare the uid and the resourceVersion (what the approver saw is that version); a namespace delete
 * also compares what it holds, when `current.contents` was read.
 */
export function staleReason(
  pinned: PinnedTarget,
  current: PinnedTarget | undefined,
  options: { readonly session: boolean },
): string | undefined {
  const what = describeTarget(pinned);
  if (!current) return `${what} no longer exists (it was deleted after it was approved); ${NOTHING_SENT}`;
  if (current.uid !== pinned.uid) {
    const how =
      pinned.kind === 'namespace'
        ? 'was recreated'
        : `was replaced by another ${pinned.kind} of the same name`;
    return `${what} ${how} after it was approved (uid ${pinned.uid}, now ${current.uid}); ${NOTHING_SENT}`;
  }
  if (!options.session && current.resourceVersion !== pinned.resourceVersion) {
    return `${what} changed after it was approved (resourceVersion ${pinned.resourceVersion}, now ${current.resourceVersion}); ${NOTHING_SENT}`;
  }
  if (pinned.contents && current.contents) {
    const grew = growth(pinned.contents, current.contents);
    if (grew) return `${what} holds more than when it was approved (${grew}); ${NOTHING_SENT}`;
  }
  return undefined;
}

/** The target could not be read again right before the dispatch: fail closed. */
export function unconfirmedReason(pinned: PinnedTarget, why: string): string {
  return `cannot confirm ${describeTarget(pinned)} is the one approved (${why}); ${NOTHING_SENT}`;
}
