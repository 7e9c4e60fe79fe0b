import type { KubernetesIdentity } from '@gatehouse/config';
import type { HeaderMap } from '../headers/index.js';
import type { ClusterUpstream } from '../upstream/index.js';

/**
 * The impersonation headers for one identity: `Impersonate-User`, and one `Impersonate-Group`
 * line per group. Kubernetes reads every `Impersonate-Group` line as one group and never splits a
 * value on commas, so the groups must not be joined into one line.
 */
export function impersonationHeaders(identity: KubernetesIdentity): HeaderMap {
  const headers: HeaderMap = { 'impersonate-user': identity.user };
  if (identity.groups.length > 0) headers['impersonate-group'] = [...identity.groups];
  return headers;
}

/**
 * The cluster as one agent reaches it: the gateway's own credentials plus the agent's identity
 * to impersonate. Every way a request goes upstream (streamed, held and dispatched, granted,
 * upgraded) presents `authHeaders()`, so the identity cannot be left off one of them. The
 * client's own `Impersonate-*` headers were dropped before (headers/), so these are the only ones.
 * Without an identity (a cluster configured with `impersonate: false`) the upstream is unchanged.
 */
export function actingAs(
  upstream: ClusterUpstream,
  identity: KubernetesIdentity | undefined,
): ClusterUpstream {
  if (!identity) return upstream;
  const impersonation = impersonationHeaders(identity);
  return {
    name: upstream.name,
    url: upstream.url,
    dispatcher: upstream.dispatcher,
    tlsOptions: () => upstream.tlsOptions(),
    authHeaders: async () => ({ ...(await upstream.authHeaders()), ...impersonation }),
    // A per-request view owns nothing: the shared upstream is closed once, at shutdown.
    close: async () => undefined,
  };
}
