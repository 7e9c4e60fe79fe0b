import type { RequestOptions } from 'node:https';
import { homedir } from 'node:os';
import type { KubeconfigClusterConfig } from '@gatehouse/config';
import { KubeConfig } from '@kubernetes/client-node';
import {
  CredentialsFailedError,
  ImpersonationConflictError,
  KubeconfigUnreadableError,
  MissingServerError,
  UnknownContextError,
} from '../errors.js';
import { refreshing } from '../refresh.js';
import { parseServerUrl } from '../server-url.js';
import { clusterTls } from '../tls.js';
import { checkClientCertificate, checkedCa } from '../tls-material.js';
import type { ClusterUpstream, UpstreamDeps } from '../types.js';

function expandHome(path: string): string {
  return path === '~' || path.startsWith('~/') ? homedir() + path.slice(1) : path;
}

function load(cluster: KubeconfigClusterConfig, path: string): KubeConfig {
  const kc = new KubeConfig();
  try {
    kc.loadFromFile(path);
  } catch (error) {
    throw new KubeconfigUnreadableError(cluster.name, path, error);
  }
  const known = kc.getContexts().map((context) => context.name);
  const contextName = cluster.context ?? kc.getCurrentContext();
  if (!contextName || kc.getContextObject(contextName) === null) {
    throw new UnknownContextError(cluster.name, contextName || '(no current-context)', path, known);
  }
  kc.setCurrentContext(contextName);
  return kc;
}

/** Headers from what client-node's loader filled in: bearer or exec-plugin token, basic auth, impersonation. */
function headersOf(options: RequestOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    if (value !== undefined) headers[name.toLowerCase()] = String(value);
  }
  if (options.auth) headers.authorization = `Basic ${Buffer.from(options.auth).toString('base64')}`;
  return headers;
}

/**
 * A context of a kubeconfig, through @kubernetes/client-node's loader, so everything kubectl
 * understands there — token, token file, client certificate, CA, tls-server-name,
 * insecure-skip-tls-verify, exec plugins — means the same here.
 *
 * TLS is fixed at start-up; so are static credentials. Exec-plugin and auth-provider credentials are
 * asked of the loader on every request, which is what re-runs an exec plugin once its ExecCredential's
 * expirationTimestamp has passed.
 */
export async function createKubeconfigUpstream(
  cluster: KubeconfigClusterConfig,
  deps: UpstreamDeps,
): Promise<ClusterUpstream> {
  const clock = deps.clock ?? { now: () => Date.now() };
  const path = expandHome(cluster.kubeconfig);
  const kc = load(cluster, path);
  const context = kc.getCurrentContext();
  const server = kc.getCurrentCluster()?.server;
  if (!server) throw new MissingServerError(cluster.name, context, path);
  const url = parseServerUrl(cluster.name, server);

  const apply = async (): Promise<RequestOptions> => {
    const options: RequestOptions = {};
    try {
      await kc.applyToHTTPSOptions(options);
    } catch (error) {
      const reason = error instanceof Error ? error.message.trim() : String(error);
      throw new CredentialsFailedError(cluster.name, `context "${context}" of ${path}: ${reason}`, error);
    }
    return options;
  };

  // Applied once now: a missing certificate file or a failing exec plugin stops start-up.
  const initial = await apply();
  // The kubeconfig's own `as:` and the agent's identity cannot both hold; rather than let one
  // silently win, start-up says which to drop.
  const kubeconfigAs = headersOf(initial)['impersonate-user'];
  if (cluster.impersonate && kubeconfigAs !== undefined) {
    throw new ImpersonationConflictError(cluster.name, context, path, kubeconfigAs);
  }
  const ca = initial.ca as string | Buffer | undefined;
  const cert = initial.cert as string | Buffer | undefined;
  const key = initial.key as string | Buffer | undefined;
  // Node's TLS takes a garbled CA or a mismatched key without a word; the first request would fail.
  if (ca !== undefined) {
    const source = `cluster "${kc.getCurrentCluster()?.name}" (context "${context}") of kubeconfig ${path}`;
    checkedCa(cluster.name, ca, `the certificate-authority of ${source}`);
  }
  const user = `user "${kc.getCurrentUser()?.name}" (context "${context}") of kubeconfig ${path}`;
  checkClientCertificate(cluster.name, cert, key, user);
  const tls = clusterTls(url, {
    ca,
    cert,
    key,
    // client-node sets false only for insecure-skip-tls-verify; verification is on otherwise.
    rejectUnauthorized: initial.rejectUnauthorized !== false,
    servername: initial.servername ?? undefined,
  });
  if (initial.rejectUnauthorized === false) {
    deps.logger?.warn(
      { cluster: cluster.name, context },
      'insecure-skip-tls-verify: the cluster certificate is not checked',
    );
  }

  // Only an exec plugin or an auth-provider (client-node's only dynamic authenticators) changes credentials
  // after load; a token, token file (read at load), basic auth or client certificate does not. Those are
  // kept from the start-up application: applying them again per request rebuilt the same headers and a
  // new https.Agent each time (~2.5% of the gateway's CPU under small GETs, BENCHMARKS.md).
  const current = kc.getCurrentUser();
  const dynamic = Boolean(current?.exec || current?.authProvider);
  // Frozen: every request is handed this one object rather than a copy of it.
  const fixed = Object.freeze(headersOf(initial));
  // refreshAt 0: nothing is cached here (client-node caches exec credentials until they expire);
  // this only makes concurrent callers share one run of an exec plugin.
  const credentials = dynamic
    ? refreshing(async () => ({ value: headersOf(await apply()), refreshAt: 0 }), clock)
    : async () => fixed;

  return {
    name: cluster.name,
    url,
    dispatcher: tls.dispatcher,
    tlsOptions: tls.tlsOptions,
    authHeaders: credentials,
    close: () => tls.dispatcher.close(),
  };
}
