import type { ActionSummary } from '../events.js';

/**
 * What kube-apiserver treats as long-running: its LongRunningFunc is
 * BasicLongRunningRequestCheck(verbs {watch, proxy}, subresources {attach, exec, proxy, log,
 * portforward}) (kubernetes/kubernetes pkg/controlplane/apiserver/options, the generic config).
 * For those its audit emits ResponseStarted when the headers go out and ResponseComplete when the
 * stream ends (Kubernetes docs, "Auditing": stages).
 */
const LONG_RUNNING_VERBS = new Set(['watch', 'proxy']);
const LONG_RUNNING_SUBRESOURCES = new Set(['attach', 'exec', 'proxy', 'log', 'portforward']);

export function isLongRunning(action: ActionSummary): boolean {
  if (action.kind !== 'resource') return false;
  return (
    LONG_RUNNING_VERBS.has(action.verb) ||
    (action.subresource !== undefined && LONG_RUNNING_SUBRESOURCES.has(action.subresource))
  );
}
