/** Where a request is addressed: `/clusters/<cluster><path>?<query>`. */
export interface ClusterRoute {
  readonly cluster: string;
  /** Path after the cluster prefix, starting with `/`, exactly as received (not decoded). */
  readonly path: string;
  /** Raw query string without `?` ('' when none). */
  readonly query: string;
}

const PREFIX = '/clusters/';

/**
 * Splits a raw request target. Nothing is decoded or normalised: the policy judges the
 * path exactly as it will be sent upstream, so no decoding difference can open a gap.
 */
export function parseClusterRoute(target: string): ClusterRoute | undefined {
  if (!target.startsWith(PREFIX)) return undefined;
  const queryAt = target.indexOf('?');
  const pathPart = queryAt === -1 ? target : target.slice(0, queryAt);
  const query = queryAt === -1 ? '' : target.slice(queryAt + 1);
  const rest = pathPart.slice(PREFIX.length);
  const slash = rest.indexOf('/');
  const cluster = slash === -1 ? rest : rest.slice(0, slash);
  if (cluster === '') return undefined;
  return { cluster, path: slash === -1 ? '/' : rest.slice(slash), query };
}

/** The upstream request target: the upstream URL's own path prefix, then the routed path. */
export function upstreamTarget(base: URL, route: Pick<ClusterRoute, 'path' | 'query'>): string {
  const prefix = base.pathname.replace(/\/+$/, '');
  return `${prefix}${route.path}${route.query ? `?${route.query}` : ''}`;
}
