import type { IncomingHttpHeaders } from 'node:http';

export type HeaderMap = Record<string, string | string[]>;

/** Per-connection headers (RFC 9110 §7.6.1) plus ones the transport sets itself. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
  'expect',
]);

/**
 * Identity a front proxy asserts to the API server. Kubernetes' request-header authenticator reads
 * `X-Remote-User`, `X-Remote-Group`, `X-Remote-Uid` and `X-Remote-Extra-*` by default
 * (k8s.io/apiserver/pkg/server/options/authentication.go, NewDelegatingAuthenticationOptions; the
 * kube-apiserver `--requestheader-*-headers` flags, which clusters commonly set to the same), and
 * clusters behind oauth2-proxy or OpenShift's oauth-proxy take `X-Forwarded-User`/`-Groups`/
 * `-Email`/`-Preferred-Username` or `X-Auth-Request-*`. None of it may come from the client.
 */
const FRONT_PROXY_IDENTITY = new Set([
  'x-forwarded-user',
  'x-forwarded-groups',
  'x-forwarded-group',
  'x-forwarded-uid',
  'x-forwarded-email',
  'x-forwarded-preferred-username',
  'x-forwarded-access-token',
]);
const FRONT_PROXY_PREFIXES = ['x-remote-', 'x-auth-request-', 'impersonate-'];

/**
 * Headers a client must never choose: its own credentials, identity it could assume
 * upstream (impersonation, front-proxy identity), and method overrides that would make
 * the request the cluster runs differ from the one the policy judged. `name` is already
 * lower case with `_` read as `-` (see {@link normalisedName}).
 */
function isClientForbidden(name: string): boolean {
  return (
    name === 'authorization' ||
    FRONT_PROXY_IDENTITY.has(name) ||
    FRONT_PROXY_PREFIXES.some((prefix) => name.startsWith(prefix)) ||
    name === 'x-http-method-override' ||
    name === 'x-http-method' ||
    name === 'x-method-override'
  );
}

/**
 * A header name as any hop might read it. Go's net/http keeps `Impersonate_User` apart from
 * `Impersonate-User`, but nginx (`underscores_in_headers`), CGI-style servers and some proxies
 * fold `_` into `-`: a name that is forbidden either way is dropped.
 */
function normalisedName(name: string): string {
  return name.toLowerCase().replaceAll('_', '-');
}

/** Names a `Connection` header declares hop-by-hop for this one request. */
function connectionTokens(headers: IncomingHttpHeaders): Set<string> {
  const value = headers.connection;
  const list = Array.isArray(value) ? value.join(',') : (value ?? '');
  return new Set(
    list
      .split(',')
      .map((token) => token.trim().toLowerCase())
      .filter(Boolean),
  );
}

/**
 * The client's headers as they may go upstream. For an upgrade the `Upgrade` header and
 * `Connection: Upgrade` are kept, since they are what the upstream upgrades on.
 */
export function upstreamRequestHeaders(
  headers: IncomingHttpHeaders,
  options: { upgrade: boolean },
): HeaderMap {
  const declared = connectionTokens(headers);
  const out: HeaderMap = {};
  for (const [rawName, value] of Object.entries(headers)) {
    const name = rawName.toLowerCase();
    const folded = normalisedName(name);
    if (value === undefined || declared.has(name) || declared.has(folded)) continue;
    if (HOP_BY_HOP.has(name) || HOP_BY_HOP.has(folded) || isClientForbidden(folded)) continue;
    out[name] = value;
  }
  if (options.upgrade && headers.upgrade) {
    out.connection = 'Upgrade';
    out.upgrade = headers.upgrade;
  }
  return out;
}

/** Response headers that belong to the upstream connection, not to the response. */
export function downstreamResponseHeaders(headers: IncomingHttpHeaders): HeaderMap {
  const out: HeaderMap = {};
  for (const [rawName, value] of Object.entries(headers)) {
    const name = rawName.toLowerCase();
    if (value === undefined || (HOP_BY_HOP.has(name) && name !== 'content-length')) continue;
    out[name] = value;
  }
  return out;
}

/** What an approval request stores of the headers: enough to show and replay, never credentials. */
const HELD = [
  'accept',
  'content-type',
  'user-agent',
  'kubectl-command',
  'kubectl-session',
  'x-stream-protocol-version',
  'sec-websocket-protocol',
];

export function heldRequestHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of HELD) {
    const value = headers[name];
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** The first value of a header, for headers that are meaningful only once. */
export function singleHeader(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}
