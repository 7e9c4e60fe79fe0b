/**
 * Splits a Kubernetes API path the way the API server's RequestInfoFactory does, but
 * refuses anything it cannot read unambiguously: the gateway forwards the raw path, so a
 * path the upstream could read differently from us must never be classified.
 */

export interface ResourcePath {
  readonly kind: 'resource';
  readonly apiGroup: string;
  readonly apiVersion: string;
  readonly resource: string;
  readonly subresource?: string | undefined;
  readonly namespace?: string | undefined;
  readonly name?: string | undefined;
  /** The legacy `/watch/` prefix was used. */
  readonly watchPrefix: boolean;
}

export interface NonResourcePath {
  readonly kind: 'nonResource';
  readonly discovery: boolean;
}

export interface InvalidPath {
  readonly kind: 'invalid';
  readonly reason: string;
}

export type ParsedPath = ResourcePath | NonResourcePath | InvalidPath;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const VERSION = /^v[0-9]+((alpha|beta)[0-9]+)?$/;
const SUBRESOURCE = /^[a-z][a-z0-9-]*$/;
/** Object names: what the API server accepts in a path segment, minus `%` (never sent encoded by kubectl). */
const NAME = /^[A-Za-z0-9._:@~+=-]+$/;
/** Printable ASCII only: no spaces, controls, or bytes the upstream might normalise. */
const PRINTABLE = /^[\x21-\x7e]*$/;
/** Encoded `/`, `\`, `.`, `%` and controls would let the upstream see another path than we did. */
const DANGEROUS_ESCAPE = /%(2f|5c|2e|25|[01][0-9a-f]|7f)/i;
const MALFORMED_ESCAPE = /%(?![0-9a-f]{2})/i;

/** Namespace-level subresources: `/api/v1/namespaces/<ns>/status` is the namespace, not a resource named `status`. */
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);
const HEALTH_ROOTS = new Set(['healthz', 'livez', 'readyz']);

const invalid = (reason: string): InvalidPath => ({ kind: 'invalid', reason });
const DISCOVERY: NonResourcePath = { kind: 'nonResource', discovery: true };
const NOT_DISCOVERY: NonResourcePath = { kind: 'nonResource', discovery: false };

export function parsePath(path: string): ParsedPath {
  if (!path.startsWith('/')) return invalid('path does not start with /');
  if (!PRINTABLE.test(path)) return invalid('path has spaces, controls or non-ASCII bytes');
  if (path.includes('\\')) return invalid('path has a backslash');
  if (path.includes('//')) return invalid('path has an empty segment (//)');
  if (MALFORMED_ESCAPE.test(path)) return invalid('path has a malformed %-escape');
  if (DANGEROUS_ESCAPE.test(path)) return invalid('path has an encoded /, \\, ., % or control character');

  const segments = path.slice(1).split('/');
  if (segments.some((s) => s === '.' || s === '..')) return invalid('path has a . or .. segment');

  const [root, ...rest] = segments;
  switch (root) {
    case 'api':
      return parseCore(rest);
    case 'apis':
      return parseGroup(rest);
    case 'version':
      return rest.length === 0 ? DISCOVERY : invalid('unknown path under /version');
    case 'openapi':
      // /openapi/v2, /openapi/v3, /openapi/v3/apis/apps/v1: schemas kubectl reads for validation.
      return rest.length > 0 && rest.every((s) => NAME.test(s)) ? DISCOVERY : invalid('bad /openapi path');
    case 'metrics':
      return rest.length === 0 ? NOT_DISCOVERY : invalid('unknown path under /metrics');
    default:
      if (root !== undefined && HEALTH_ROOTS.has(root) && rest.every((s) => NAME.test(s)))
        return NOT_DISCOVERY;
      return invalid(`unknown non-resource path /${root ?? ''}`);
  }
}

function parseCore(rest: string[]): ParsedPath {
  if (rest.length === 0) return DISCOVERY;
  const [version, ...tail] = rest;
  if (!VERSION.test(version ?? '')) return invalid('bad core API version');
  if (tail.length === 0) return DISCOVERY;
  return parseResourceParts('', version!, tail);
}

function parseGroup(rest: string[]): ParsedPath {
  if (rest.length === 0) return DISCOVERY;
  const [group, version, ...tail] = rest;
  if (!DNS_SUBDOMAIN.test(group ?? '')) return invalid('bad API group');
  if (version === undefined) return DISCOVERY;
  if (!VERSION.test(version)) return invalid('bad API version');
  if (tail.length === 0) return DISCOVERY;
  return parseResourceParts(group!, version, tail);
}

function parseResourceParts(apiGroup: string, apiVersion: string, parts: string[]): ParsedPath {
  let watchPrefix = false;
  let current = parts;
  if (current[0] === 'watch') {
    watchPrefix = true;
    current = current.slice(1);
  } else if (current[0] === 'proxy') {
    return invalid('the legacy /proxy/ prefix is not supported');
  }

  let namespace: string | undefined;
  if (current[0] === 'namespaces' && current.length > 1) {
    namespace = current[1]!;
    if (!DNS_LABEL.test(namespace)) return invalid('bad namespace name');
    // /namespaces/<ns>/<resource>/... is namespaced; /namespaces/<ns>[/status|/finalize] is the namespace itself.
    if (current.length > 2 && !NAMESPACE_SUBRESOURCES.has(current[2]!)) current = current.slice(2);
  }

  const [resource, name, subresource, ...proxyTail] = current;
  if (resource === undefined || !DNS_SUBDOMAIN.test(resource)) return invalid('bad resource name');
  if (name !== undefined && !NAME.test(name)) return invalid('bad object name');
  if (subresource !== undefined && !SUBRESOURCE.test(subresource)) return invalid('bad subresource');
  if (watchPrefix && subresource !== undefined) return invalid('watch of a subresource');
  // Only proxy subresources carry a path of their own (`services/x/proxy/some/path`).
  if (proxyTail.length > 0 && subresource !== 'proxy') return invalid('extra segments after the subresource');

  return { kind: 'resource', apiGroup, apiVersion, resource, subresource, namespace, name, watchPrefix };
}
