import { setMaxListeners } from 'node:events';
import type { ApprovalPreview, HeldRequest } from '@gatehouse/approvals';
import type { Clock } from '@gatehouse/lifecycle';
import type { Action } from '@gatehouse/policy';
import { GatewayError, GatewayErrorCode } from '../errors.js';
import { pinForPreview } from '../pin/index.js';
import type { GatewayContext } from '../ports.js';
import type { ClusterUpstream } from '../upstream/index.js';
import { boundedPreview } from './bound.js';
import { bodyChange, isWrite, type WriteChange, writeChange } from './change.js';
import { type KubeReader, kubeReader, sendDryRun } from './kube.js';
import { planPreview } from './plan.js';

export interface PreviewInput {
  readonly approvalId: string;
  readonly action: Action;
  /** The held request, replayed with `dryRun=All` where that is safe. */
  readonly request: HeldRequest;
  /** The cluster as the gateway itself: the reads describe the cluster, whoever asks. */
  readonly upstream: ClusterUpstream;
  /** The cluster as the approved request would reach it (impersonating the agent): the dry run's identity. */
  readonly dispatchUpstream: ClusterUpstream;
}

const seconds = (ms: number) => (ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`);

function reasonOf(error: unknown, cluster: string): string {
  if (error instanceof GatewayError) return error.message;
  const message = error instanceof Error ? error.message : String(error);
  return `cannot read cluster ${cluster}: ${message}`;
}

/**
 * Reads the blast radius of a held request from the cluster within `timeoutMs`, all of it or
 * nothing: a slow, refusing or unreachable cluster gives `{ status: 'unavailable', reason }`, never
 * an exception. undefined when the action has nothing to preview.
 */
export async function computePreview(
  input: PreviewInput,
  options: { readonly timeoutMs: number; readonly clock: Clock; readonly maxRequests: number },
): Promise<ApprovalPreview | undefined> {
  const plan = planPreview(input.action);
  if (!plan) return undefined;
  const at = options.clock.now();
  const controller = new AbortController();
  // A namespace preview sends a dozen reads at once, each listening on this signal.
  setMaxListeners(64, controller.signal);
  const allowance = { left: options.maxRequests - (plan.dryRun ? 1 : 0) };
  const reader = budgeted(kubeReader(input.upstream, controller.signal), allowance, options.maxRequests);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), options.timeoutMs);
  });
  const { action, request } = input;
  const write = isWrite(action) ? action : undefined;
  const change = async (): Promise<WriteChange | undefined> => {
    if (!plan.dryRun) return undefined;
    if (write && plan.change === 'diff')
      return writeChange(write, request, reader, input.dispatchUpstream, controller.signal);
    return { dryRun: (await sendDryRun(input.dispatchUpstream, request, controller.signal)).result };
  };
  /** Where there is no diff, a write still shows what it sends: its body. */
  const fallback = (reason: string) => (write ? bodyChange(write, request, reason) : undefined);
  // A target the gateway cannot read is not pinned; the rest of the preview stands.
  const pin = pinForPreview(reader, action).catch(() => undefined);
  const work = Promise.all([plan.describe?.(reader, at) ?? '', change(), pin]);
  // Whatever loses the race must not surface as an unhandled rejection.
  work.catch(() => undefined);
  const durationMs = () => options.clock.now() - at;
  try {
    const result = await Promise.race([work, deadline]);
    if (result === 'timeout') {
      const reason = `cluster ${input.upstream.name} did not answer within ${seconds(options.timeoutMs)}`;
      return { status: 'unavailable', reason, change: fallback(reason), at, durationMs: durationMs() };
    }
    const [summary, written, pinned] = result;
    const group = action.kind === 'resource' ? action.apiGroup : '';
    const noDryRun = `no dry run: API group ${group} may be served by an aggregated API server, which might ignore dryRun and make the change`;
    return {
      status: 'ready',
      summary,
      dryRun: written?.dryRun,
      change: written?.change ?? (plan.change === 'body' ? fallback(noDryRun) : undefined),
      pin: pinned,
      at,
      durationMs: durationMs(),
    };
  } catch (error) {
    const reason = reasonOf(error, input.upstream.name);
    return { status: 'unavailable', reason, change: fallback(reason), at, durationMs: durationMs() };
  } finally {
    clearTimeout(timer);
    // Ends the reads still running after a timeout or a first failure.
    controller.abort();
  }
}

/** The reader, refusing reads past the preview's allowance (`gateway.previewMaxRequests`, the dry run included). */
function budgeted(reader: KubeReader, allowance: { left: number }, max: number): KubeReader {
  const spend = () => {
    allowance.left -= 1;
    if (allowance.left < 0) {
      throw new GatewayError(
        GatewayErrorCode.PreviewBudgetExceeded,
        `the preview needs more than ${max} requests to the cluster (gateway.previewMaxRequests)`,
      );
    }
  };
  return {
    get: async (path, options) => {
      spend();
      return await reader.get(path, options);
    },
    list: async (path, options) => {
      spend();
      return await reader.list(path, options);
    },
  };
}

/**
 * Starts the preview of a new approval in the background: the held request and the Slack post never
 * wait for it. The result is stored on the approval, which audits it (the slackbot re-renders).
 */
export function startPreview(input: PreviewInput, ctx: GatewayContext): void {
  const timeoutMs = ctx.previewTimeoutMs ?? 0;
  if (timeoutMs <= 0 || !planPreview(input.action)) return;
  const cluster = input.upstream.name;
  const { previews, settings } = ctx.limits;
  const run = async () => {
    // A burst of held requests must not become a burst of reads on the cluster: past the cap a
    // preview is skipped (and says so) rather than queued.
    const slot = previews.take(cluster, 1);
    const preview =
      slot === 'ok'
        ? await computePreview(input, {
            timeoutMs,
            clock: ctx.clock,
            maxRequests: settings.previewMaxRequests,
          }).finally(() => previews.give(cluster, 1))
        : skipped(cluster, settings.previewConcurrency, ctx.clock.now());
    if (!preview) return;
    await ctx.approvals.setPreview(input.approvalId, boundedPreview(preview));
    ctx.logger.info(
      { approvalId: input.approvalId, status: preview.status, durationMs: preview.durationMs },
      'approval preview stored',
    );
  };
  run().catch((error: unknown) =>
    ctx.logger.error({ err: error, approvalId: input.approvalId }, 'cannot store the approval preview'),
  );
}

function skipped(cluster: string, running: number, at: number): ApprovalPreview {
  return {
    status: 'unavailable',
    reason: `skipped: ${running} previews were already reading cluster ${cluster} (gateway.previewConcurrency)`,
    at,
    durationMs: 0,
  };
}
