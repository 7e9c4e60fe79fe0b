import type { ApprovalsPort } from '../ports.js';

export interface PromoterOptions {
  readonly approvals: Pick<ApprovalsPort, 'get' | 'promoteWaiting'>;
  readonly coalesceAfter: number;
}

/**
 * Run after each refresh of an approval: once it has left pending (decided, expired, by any process),
 * its place among its agent's own messages is free, and the oldest waiting request of that agent gets
 * it (its post job is enqueued) and the burst message is re-rendered. Idempotent: a place is given once.
 */
export function createPromoter(options: PromoterOptions) {
  const { approvals, coalesceAfter } = options;
  return async function promoteAfter(id: string): Promise<readonly string[]> {
    const approval = await approvals.get(id);
    if (approval === undefined || approval.state === 'pending') return [];
    return await approvals.promoteWaiting(approval.agent, coalesceAfter);
  };
}
