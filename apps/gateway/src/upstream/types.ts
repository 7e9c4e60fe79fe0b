import type { ConnectionOptions } from 'node:tls';
import type { Clock } from '@gatehouse/lifecycle';
import type { Dispatcher } from 'undici';

/**
 * How the gateway reaches one cluster: where it is, how to talk TLS to it and which
 * credentials to present. The proxy owns the request; this only supplies the means.
 */
export interface ClusterUpstream {
  readonly name: string;
  /** API server base URL; may include a path prefix, which the proxy must keep. */
  readonly url: URL;
  /** undici Agent with the cluster's TLS (CA, client certificate) for HTTP requests. */
  readonly dispatcher: Dispatcher;
  /** For raw upgrade sockets (exec/attach/port-forward): ca, cert, key, servername, rejectUnauthorized. */
  tlsOptions(): ConnectionOptions;
  /**
   * Headers that authenticate the gateway upstream, e.g. `{ authorization: 'Bearer k8s-aws-v1.…' }`;
   * cached, refreshed before expiry. An array value is sent as one header line per item
   * (`Impersonate-Group`, see impersonation/). Shared between requests: read it, copy it, never change it.
   */
  authHeaders(): Promise<Readonly<Record<string, string | string[]>>>;
  close(): Promise<void>;
}

/** The slice of a pino logger this module uses. */
export interface UpstreamLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface UpstreamDeps {
  /** Environment for EKS_ROLE_ARN and the AWS SDK (AWS_*); defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  clock?: Clock;
  logger?: UpstreamLogger;
}
