import type { Exchange } from '../exchange/types.js';
import { kubeStatus } from '../kube-status/index.js';
import type { GatewayContext } from '../ports.js';

/**
 * How long a refused agent is asked to wait. client-go sleeps `Retry-After` and retries a 429 up to
 * 10 times on its own, so kubectl rides out a short burst without the agent doing anything.
 */
export const RETRY_AFTER_SECONDS = 10;

/** The request a limit refused, as far as it got. */
export interface LimitedRequest {
  readonly requestId: string;
  readonly exchange: Exchange;
  readonly agent: string;
  readonly cluster: string;
  readonly path: string;
}

export type Limit =
  | { readonly key: 'gateway.maxHeldPerAgent' | 'gateway.maxHeld'; readonly max: number }
  | { readonly key: 'gateway.bodyMemoryPerAgent' | 'gateway.bodyMemory'; readonly max: number }
  | { readonly key: 'gateway.maxHeldBodySize'; readonly max: number; readonly size: number }
  | { readonly key: 'gateway.bodyTimeout'; readonly max: number };

const mib = (bytes: number) => `${Math.round((bytes / 1024 / 1024) * 10) / 10} MiB`;

function message(limit: Limit, agent: string): string {
  switch (limit.key) {
    case 'gateway.maxHeldPerAgent':
      return `agent ${agent} already has ${limit.max} requests waiting for approval on this gateway (gateway.maxHeldPerAgent); wait for those to be decided, or retry in ${RETRY_AFTER_SECONDS}s`;
    case 'gateway.maxHeld':
      return `this gateway already holds ${limit.max} requests waiting for approval (gateway.maxHeld); retry in ${RETRY_AFTER_SECONDS}s`;
    case 'gateway.bodyMemoryPerAgent':
      return `agent ${agent} already has ${mib(limit.max)} of request bodies in this gateway's memory (gateway.bodyMemoryPerAgent); retry in ${RETRY_AFTER_SECONDS}s`;
    case 'gateway.bodyMemory':
      return `this gateway already has ${mib(limit.max)} of request bodies in memory (gateway.bodyMemory); retry in ${RETRY_AFTER_SECONDS}s`;
    case 'gateway.maxHeldBodySize':
      return `the request body is ${limit.size} bytes; a request that waits for approval may carry at most ${limit.max} (gateway.maxHeldBodySize), about what the cluster stores in one object; split the change or ask an operator to raise the limit`;
    case 'gateway.bodyTimeout':
      return `the request body did not arrive within ${limit.max / 1000}s (gateway.bodyTimeout); the upload was cut`;
  }
}

/** Answers a request a limit refused (429, 413 or 408 with a Status naming the limit), audits and logs it. */
export function refuseByLimit(request: LimitedRequest, limit: Limit, ctx: GatewayContext): void {
  const text = message(limit, request.agent);
  const status =
    limit.key === 'gateway.maxHeldBodySize'
      ? kubeStatus('RequestEntityTooLarge', text)
      : limit.key === 'gateway.bodyTimeout'
        ? kubeStatus('Timeout', text)
        : kubeStatus('TooManyRequests', text, { retryAfterSeconds: RETRY_AFTER_SECONDS });
  request.exchange.reject(status);
  ctx.metrics.requests.inc({
    cluster: ctx.clusters.has(request.cluster) ? request.cluster : '(unknown)',
    decision: 'limited',
  });
  void ctx.audit.record({
    type: 'request.limited',
    requestId: request.requestId,
    agent: request.agent,
    cluster: request.cluster,
    method: request.exchange.method,
    path: request.path,
    limit: limit.key,
    status: status.code,
    message: text,
  });
  ctx.logger.warn(
    { requestId: request.requestId, agent: request.agent, cluster: request.cluster, limit: limit.key },
    'request refused by a limit',
  );
}
