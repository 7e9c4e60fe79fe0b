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
  return new ActingAs(upstream, impersonationHeaders(identity));
}

/**
 * A class, not an object literal of three closures: every held request keeps its view of the upstream
 * until it is answered, and one instance is a third of the literal and its closures' context.
 */
class ActingAs implements ClusterUpstream {
  readonly name: string;
  readonly url: URL;
  readonly dispatcher: ClusterUpstream['dispatcher'];
  readonly #upstream: ClusterUpstream;
  readonly #impersonation: HeaderMap;

  constructor(upstream: ClusterUpstream, impersonation: HeaderMap) {
    this.name = upstream.name;
    this.url = upstream.url;
    this.dispatcher = upstream.dispatcher;
    this.#upstream = upstream;
    this.#impersonation = impersonation;
  }

  tlsOptions(): ReturnType<ClusterUpstream['tlsOptions']> {
    return this.#upstream.tlsOptions();
  }

  async authHeaders(): Promise<HeaderMap> {
    return { ...(await this.#upstream.authHeaders()), ...this.#impersonation };
  }

  /** A per-request view owns nothing: the shared upstream is closed once, at shutdown. */
  async close(): Promise<void> {}
}
