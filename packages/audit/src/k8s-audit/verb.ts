import type { ActionSummary } from '../events.js';

/** Policy verbs that are the API server's own; the rest (exec, attach, portforward, proxy) are subresource connects. */
const API_VERBS = new Set([
  'get',
  'list',
  'watch',
  'create',
  'update',
  'patch',
  'delete',
  'deletecollection',
]);

/**
 * The verb the API server's audit would record. requestinfo.go (kubernetes/kubernetes
 * staging/src/k8s.io/apiserver/pkg/endpoints/request/requestinfo.go, NewRequestInfo) names a
 * resource request by its method (POST create, GET/HEAD get, PUT update, PATCH patch, DELETE
 * delete; get without a name is list or watch, delete without a name deletecollection) and a
 * non-resource request by its lower-cased method. Connect subresources (pods/exec) keep the
 * method's verb there: `create` for kubectl exec's POST.
 */
export function apiServerVerb(action: ActionSummary, method: string): string {
  if (action.kind === 'resource' && API_VERBS.has(action.verb)) return action.verb;
  if (action.kind !== 'resource') return method.toLowerCase();
  switch (method.toUpperCase()) {
    case 'POST':
      return 'create';
    case 'GET':
    case 'HEAD':
      return 'get';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return 'delete';
    default:
      return '';
  }
}
