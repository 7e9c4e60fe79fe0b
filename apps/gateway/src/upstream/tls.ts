import { isIP } from 'node:net';
import { type ConnectionOptions, createSecureContext } from 'node:tls';
import { Agent } from 'undici';

/** The TLS a cluster needs; PEM strings or buffers, as kubeconfig loaders hand them out. */
export interface ClusterTlsSettings {
  ca?: string | Buffer | undefined;
  cert?: string | Buffer | undefined;
  key?: string | Buffer | undefined;
  /** False only when the cluster's config explicitly says so (kubeconfig insecure-skip-tls-verify). */
  rejectUnauthorized: boolean;
  /** Overrides the name checked against the server certificate (kubeconfig tls-server-name). */
  servername?: string | undefined;
}

export interface ClusterTls {
  readonly dispatcher: Agent;
  tlsOptions(): ConnectionOptions;
}

/**
 * How long a connection to a cluster may sit idle before the gateway closes it. The API server sends
 * no Keep-Alive hint (Go's server does not) and closes idle connections after 90 s
 * (k8s.io/apiserver/pkg/server/secure_serving.go, IdleTimeout); without a hint undici closes them
 * after 4 s (lib/dispatcher/client.js, keepAliveTimeout), so an agent that paused longer between two
 * commands paid a new TLS connection to the cluster for the second. 30 s stays under the API server's
 * 90 s and the 60 s idle timeout of a classic or application load balancer in front of it.
 */
const IDLE_CONNECTION_MS = 30_000;

/**
 * One set of TLS options serves both undici (HTTP requests) and raw sockets (upgrades), so a
 * request and an exec to the same cluster can never disagree on what they trust.
 */
export function clusterTls(url: URL, settings: ClusterTlsSettings): ClusterTls {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  // Node refuses an IP address as SNI; certificates for IPs are checked against IP SANs without it.
  const servername = settings.servername ?? (isIP(host) === 0 ? host : undefined);
  // One secure context for every connection: without it each new connection (a preview's reads, a
  // burst of dispatches) parses the CA and the client key again, which profiled as ~3.5% of the
  // gateway's CPU while opening approvals. Verification still happens per connection (tls.connect).
  const secureContext = createSecureContext({
    ...(settings.ca !== undefined && { ca: settings.ca }),
    ...(settings.cert !== undefined && { cert: settings.cert }),
    ...(settings.key !== undefined && { key: settings.key }),
  });
  const options: ConnectionOptions = {
    rejectUnauthorized: settings.rejectUnauthorized,
    secureContext,
    ...(servername !== undefined && { servername }),
  };
  // bodyTimeout 0: watches and `logs -f` stay quiet for minutes; the proxy ends them with the client.
  const dispatcher = new Agent({ connect: options, bodyTimeout: 0, keepAliveTimeout: IDLE_CONNECTION_MS });
  return { dispatcher, tlsOptions: () => ({ ...options }) };
}
