import { setMaxListeners } from 'node:events';
import type { ApprovalRequest, PinnedTarget } from '@gatehouse/approvals';
import type { Action } from '@gatehouse/policy';
import type { HeaderMap } from '../headers/index.js';
import type { JudgedRequest } from '../pipeline/forward.js';
import type { GatewayContext } from '../ports.js';
import type { KubeReader } from '../preview/kube.js';
import { kubeReader } from '../preview/kube.js';
import type { ClusterUpstream } from '../upstream/index.js';
import { staleReason, unconfirmedReason } from './check.js';
import { dispatchExtraHeaders } from './extras.js';
import { withPreconditions } from './preconditions.js';
import { pinRefOf, readPin } from './read.js';

export { describeTarget, staleReason } from './check.js';
export { APPROVAL_ID_EXTRA, APPROVED_BY_EXTRA, DISPATCH_EXTRAS, extraHeaderName } from './extras.js';
export { withPreconditions } from './preconditions.js';
export { pinRefOf } from './read.js';

/** Bound on re-reading the target right before a dispatch when previews have no time limit set. */
const DEFAULT_CHECK_MS = 3_000;

/** The target as a preview reads it, for the approval to pin; undefined when the request has none. */
export async function pinForPreview(reader: KubeReader, action: Action): Promise<PinnedTarget | undefined> {
  const ref = pinRefOf(action);
  return ref ? await readPin(reader, ref, { contents: true }) : undefined;
}

/** What the dispatch of an approved request does: send it (with its preconditions), or nothing. */
export type DispatchPlan =
  | { readonly send: true; readonly judged: JudgedRequest }
  | { readonly send: false; readonly reason: string };

/** The same upstream with more headers on every request (they win over the client's). */
function withHeaders(upstream: ClusterUpstream, headers: HeaderMap): ClusterUpstream {
  return {
    ...upstream,
    tlsOptions: () => upstream.tlsOptions(),
    authHeaders: async () => ({ ...(await upstream.authHeaders()), ...headers }),
    close: async () => undefined,
  };
}

/**
 * Right before an approved request is sent: is its target still the one the approver saw? The
 * approval's pin (uid, resourceVersion, a namespace's contents as the preview read them) is compared
 * with the cluster now, read as the gateway itself. A changed, missing or unreadable target means
 * nothing is sent (`send: false`, the sentence to show). Otherwise the request goes with the pin as
 * preconditions the API server enforces too, and — where the agent is impersonated — the approval
 * id and approvers as user extras, so the cluster's own audit log names the approval.
 * Without a pin (previews off, or the preview could not read the target) it is sent as approved.
 */
export async function planDispatch(
  judged: JudgedRequest,
  approval: ApprovalRequest,
  ctx: GatewayContext,
): Promise<DispatchPlan> {
  const pin = approval.preview?.status === 'ready' ? approval.preview.pin : undefined;
  if (pin) {
    const reason = await checkPin(judged, pin, ctx);
    if (reason) return { send: false, reason };
  }
  const conditioned = pin
    ? withPreconditions(
        {
          method: judged.exchange.method,
          contentType: judged.exchange.headers['content-type'],
          body: judged.body,
        },
        pin,
      )
    : undefined;
  const headers: HeaderMap = {
    ...(judged.runAs ? dispatchExtraHeaders(approval) : {}),
    ...(conditioned?.contentType ? { 'content-type': conditioned.contentType } : {}),
  };
  if (conditioned) {
    ctx.logger.info(
      { requestId: judged.id, approvalId: approval.id, preconditions: conditioned.how },
      'dispatching with preconditions',
    );
  }
  return {
    send: true,
    judged: {
      ...judged,
      upstream: Object.keys(headers).length > 0 ? withHeaders(judged.upstream, headers) : judged.upstream,
      body: conditioned?.body ?? judged.body,
    },
  };
}

async function checkPin(
  judged: JudgedRequest,
  pin: PinnedTarget,
  ctx: GatewayContext,
): Promise<string | undefined> {
  const ref = pinRefOf(judged.action);
  if (!ref) return undefined;
  const timeoutMs =
    ctx.previewTimeoutMs && ctx.previewTimeoutMs > 0 ? ctx.previewTimeoutMs : DEFAULT_CHECK_MS;
  const signal = AbortSignal.any([judged.exchange.signal, AbortSignal.timeout(timeoutMs)]);
  // A namespace's recheck sends six reads at once, each listening on this signal.
  setMaxListeners(32, signal);
  const self = ctx.clusters.get(judged.route.cluster) ?? judged.upstream;
  try {
    const current = await readPin(kubeReader(self, signal), ref, {
      contents: ctx.recheckOnDispatch !== false && pin.contents !== undefined,
    });
    const session = ['exec', 'attach', 'portforward'].includes(
      judged.action.kind === 'resource' ? judged.action.verb : '',
    );
    return staleReason(pin, current, { session });
  } catch (error) {
    const why =
      signal.aborted && !judged.exchange.signal.aborted
        ? `cluster ${self.name} did not answer within ${timeoutMs} ms`
        : error instanceof Error
          ? error.message
          : String(error);
    return unconfirmedReason(pin, why);
  }
}
