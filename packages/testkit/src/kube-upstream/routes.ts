import { RESOURCE_TYPES, type ResourceType } from './resources.js';

/** A request for objects: `/api/v1/namespaces/prod/pods/web-1/exec` → pods, prod, web-1, exec. */
export interface ResourceRoute {
  kind: 'resource';
  type: ResourceType;
  namespace: string | undefined;
  name: string | undefined;
  subresource: string | undefined;
  /** The legacy `/watch/` path prefix. */
  legacyWatch: boolean;
}

export type Route =
  | { kind: 'version' }
  | { kind: 'health' }
  | { kind: 'core-discovery' }
  | { kind: 'groups-discovery' }
  | { kind: 'group'; group: string }
  | { kind: 'resource-list'; group: string; version: string }
  | { kind: 'openapi-v2' }
  | { kind: 'openapi-v3-index' }
  | { kind: 'openapi-v3'; path: string }
  | ResourceRoute
  | { kind: 'unknown' };

const HEALTH = new Set(['/healthz', '/livez', '/readyz']);

/** Maps a URL path (no query) to what the fake API server serves there. */
export function route(path: string): Route {
  const trimmed = path.replace(/\/+$/, '') || '/';
  if (trimmed === '/version') return { kind: 'version' };
  if (HEALTH.has(trimmed)) return { kind: 'health' };
  if (trimmed === '/api') return { kind: 'core-discovery' };
  if (trimmed === '/apis') return { kind: 'groups-discovery' };
  if (trimmed === '/openapi/v2') return { kind: 'openapi-v2' };
  if (trimmed === '/openapi/v3') return { kind: 'openapi-v3-index' };
  if (trimmed.startsWith('/openapi/v3/'))
    return { kind: 'openapi-v3', path: trimmed.slice('/openapi/v3/'.length) };

  const parts = trimmed.split('/').slice(1).map(decodeURIComponent);
  let group: string;
  let version: string | undefined;
  let rest: string[];
  if (parts[0] === 'api') {
    group = '';
    version = parts[1];
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts[1] !== undefined) {
    group = parts[1];
    version = parts[2];
    rest = parts.slice(3);
    if (version === undefined) return { kind: 'group', group };
  } else return { kind: 'unknown' };
  if (version === undefined) return { kind: 'unknown' };
  if (rest.length === 0) return { kind: 'resource-list', group, version };

  const legacyWatch = rest[0] === 'watch';
  if (legacyWatch) rest = rest.slice(1);
  const served = RESOURCE_TYPES.filter((t) => t.group === group && t.version === version);
  const find = (resource: string | undefined) => served.find((t) => t.resource === resource);

  const namespacedType = rest[0] === 'namespaces' && rest.length >= 3 ? find(rest[2]) : undefined;
  if (namespacedType?.namespaced) {
    return resourceRoute(namespacedType, rest[1], rest.slice(3), legacyWatch);
  }
  const type = find(rest[0]);
  if (!type) return { kind: 'unknown' };
  return resourceRoute(type, undefined, rest.slice(1), legacyWatch);
}

function resourceRoute(
  type: ResourceType,
  namespace: string | undefined,
  rest: string[],
  legacyWatch: boolean,
): Route {
  if (rest.length > 2) return { kind: 'unknown' };
  return { kind: 'resource', type, namespace, name: rest[0], subresource: rest[1], legacyWatch };
}
