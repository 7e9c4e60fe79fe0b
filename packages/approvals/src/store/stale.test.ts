import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidInputError, InvalidTransitionError, NotFoundError } from '../errors.js';
import { type Harness, harness, openInput } from '../test-support/index.js';
import type { ApprovalChange } from './types.js';

let h: Harness;
beforeEach(() => {
  h = harness();
});
afterEach(async () => {
  await h.cleanup();
});

const REASON =
  'namespace payments-staging was recreated after it was approved (uid a → b); nothing was sent; re-run to ask again';

async function claimed(holder = 'gw-1'): Promise<string> {
  const { approval } = await h.approvals.open(openInput());
  await h.approvals.vote(approval.id, { userId: 'U0BOB', decision: 'approve' });
  expect(await h.approvals.claimDispatch(approval.id, holder, 'hold')).toBe(true);
  return approval.id;
}

describe('markStale', () => {
  it('ends a claimed dispatch in stale with the reason, announced once, and a re-run asks anew', async () => {
    const id = await claimed();
    const changes: ApprovalChange[] = [];
    const off = await h.approvals.onChange((change) => changes.push(change));
    const stale = await h.approvals.markStale(id, 'gw-1', REASON);
    expect(stale).toMatchObject({ state: 'stale', stale: { reason: REASON, at: h.clock.now() } });
    expect(await h.approvals.get(id)).toMatchObject({ state: 'stale', stale: { reason: REASON } });
    await expect.poll(() => changes.map((change) => change.change)).toEqual(['stale']);
    off();
    // Nothing was sent: the identical request is a new approval, not a join and not a grant.
    expect(await h.approvals.claimGrant(stale.agent, stale.fingerprint, 'gw-2')).toBeUndefined();
    const again = await h.approvals.open(openInput());
    expect(again.joined).toBe(false);
    expect(again.approval.id).not.toBe(id);
  });

  it('is refused for another holder, twice, after completion, and before any claim', async () => {
    const id = await claimed('gw-1');
    await expect(h.approvals.markStale(id, 'gw-2', REASON)).rejects.toBeInstanceOf(InvalidTransitionError);
    await h.approvals.markStale(id, 'gw-1', REASON);
    await expect(h.approvals.markStale(id, 'gw-1', REASON)).rejects.toThrow(/is stale; cannot mark it stale/);

    const sent = await claimed('gw-3');
    await h.approvals.completeDispatch(sent, { status: 200, durationMs: 3 });
    await expect(h.approvals.markStale(sent, 'gw-3', REASON)).rejects.toThrow(/is completed/);

    const { approval } = await h.approvals.open(openInput({ agent: 'agent-2' }));
    await expect(h.approvals.markStale(approval.id, 'gw-1', REASON)).rejects.toThrow(/is pending/);
    await expect(h.approvals.markStale('nosuchid0000', 'gw-1', REASON)).rejects.toBeInstanceOf(NotFoundError);
    await expect(h.approvals.markStale(approval.id, 'gw-1', '')).rejects.toBeInstanceOf(InvalidInputError);
  });
});
