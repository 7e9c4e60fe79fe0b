import type { Action, Decision } from '@gatehouse/policy';
import type { PolicyPort } from '../ports.js';

/**
 * A tiny policy for pipeline tests, independent of @gatehouse/policy: DELETE and exec in
 * `prod` need one approval from `sre`, anything in namespace `locked` is denied.
 */
export const fakePolicy: PolicyPort = {
  parseAction(request): Action {
    const match = /^\/api\/v1\/namespaces\/([^/]+)\/pods(?:\/([^/]+))?(?:\/([^/]+))?$/.exec(request.path);
    const subresource = match?.[3];
    const verb =
      subresource === 'exec'
        ? 'exec'
        : request.method === 'DELETE'
          ? 'delete'
          : request.method === 'GET'
            ? 'get'
            : 'create';
    return {
      kind: 'resource',
      verb,
      method: request.method,
      path: request.path,
      query: request.query,
      apiGroup: '',
      apiVersion: 'v1',
      resource: 'pods',
      subresource,
      namespace: match?.[1],
      name: match?.[2],
      dryRun: false,
      readOnly: verb === 'get',
      scaleToZero: false,
    };
  },
  renderCommand(action) {
    return action.kind === 'resource'
      ? `kubectl ${action.verb} pods ${action.name ?? ''} -n ${action.namespace ?? ''}`.replace(/ {2}/g, ' ')
      : `kubectl ${action.verb}`;
  },
  decide({ action }): Decision {
    const namespace = action.kind === 'resource' ? action.namespace : undefined;
    if (namespace === 'locked')
      return { effect: 'deny', rule: 'locked', reason: 'namespace locked is frozen' };
    if (action.verb === 'delete' || (action.verb === 'exec' && namespace === 'prod')) {
      return {
        effect: 'require',
        rule: 'risky',
        reason: 'deletes and prod exec need a human',
        group: 'sre',
        approvals: 1,
      };
    }
    return { effect: 'allow', rule: null };
  },
};
