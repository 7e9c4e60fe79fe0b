import type { IncomingHttpHeaders } from 'node:http';
import type { BodyReadOptions, BodyResult } from '../body/index.js';
import type { KubeStatus } from '../kube-status/index.js';
import type { ClusterRoute } from '../routing/index.js';
import type { ByteTap } from '../session-tap/index.js';
import type { ClusterUpstream } from '../upstream/index.js';

/** How a forward ended, for the audit, the metrics and the approval's dispatch record. */
export type ForwardResult =
  /** The upstream answered; its status went to the client and the body is streaming. */
  | { readonly outcome: 'response'; readonly status: number; readonly durationMs: number }
  /** The upstream could not be reached; the client got a 503 Status. */
  | { readonly outcome: 'failed'; readonly error: string; readonly durationMs: number }
  /** The client went away first. */
  | { readonly outcome: 'aborted' };

/**
 * One client request, whether an ordinary HTTP request or a protocol upgrade (exec,
 * attach, port-forward). The pipeline decides; the exchange knows how to answer on its
 * kind of connection.
 */
export interface Exchange {
  readonly kind: 'http' | 'upgrade';
  readonly method: string;
  /** The raw request target (path and query). */
  readonly target: string;
  readonly headers: IncomingHttpHeaders;
  /** The connection's peer address, for the audit's source IPs. */
  readonly remoteAddress?: string | undefined;
  /** Aborted when the client goes away. */
  readonly signal: AbortSignal;
  /** The status the client was sent (the gateway's own or the cluster's); undefined until one was. */
  readonly status: number | undefined;
  /** Buffers the body for the policy and a possible replay; `undefined` when the request streams or has none. */
  readBody(options: Omit<BodyReadOptions, 'declaredLength'>): Promise<BodyResult | undefined>;
  /** Answers with a Kubernetes Status and ends the exchange. */
  reject(status: KubeStatus): void;
  /**
   * Sends the request upstream with the cluster's credentials and streams the answer back.
   * `tap` sees an upgraded connection's bytes both ways (session recording). `warnings` are
   * `Warning` header values added to an HTTP response after the upstream's own (warnings/); an
   * upgrade's 101 carries none, as kubectl shows none for exec, attach and port-forward.
   */
  forward(
    upstream: ClusterUpstream,
    route: ClusterRoute,
    body: Buffer | undefined,
    tap?: ByteTap,
    warnings?: readonly string[],
  ): Promise<ForwardResult>;
}
