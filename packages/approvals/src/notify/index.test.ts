import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NotFoundError } from '../errors.js';
import { keysFor } from '../keys.js';
import type { ApprovalChange } from '../store/types.js';
import { type Harness, harness, openInput } from '../test-support/index.js';

let h: Harness;
beforeEach(() => {
  // A poll interval far beyond the test: decisions must arrive through pub/sub.
  h = harness({ pollIntervalMs: 3_600_000 });
});
afterEach(async () => {
  await h.cleanup();
});

describe('waitForDecision', () => {
  it('wakes the replica holding the request when another process decides', async () => {
    const gatewayA = h.approvals;
    const slackbot = h.replica();
    const { approval } = await gatewayA.open(openInput({ approvalsNeeded: 2 }));
    const waiting = gatewayA.waitForDecision(approval.id, { timeoutMs: 60_000 });
    const changes: ApprovalChange[] = [];
    const stop = await gatewayA.onChange((change) => changes.push(change));
    await slackbot.vote(approval.id, { userId: 'U0BOB', decision: 'approve' });
    await slackbot.vote(approval.id, { userId: 'U0CAROL', decision: 'approve' });
    const decided = await waiting;
    // The waiter woke on the 'approved' message, which every listener got in the same turn.
    stop();
    expect(decided).toMatchObject({ id: approval.id, state: 'approved' });
    expect(await gatewayA.claimDispatch(approval.id, 'gw-a', 'hold')).toBe(true);
    expect(changes.map((c) => [c.change, c.state, c.revision])).toEqual([
      ['vote', 'pending', 2],
      ['approved', 'approved', 3],
    ]);
  });

  it('resolves at once for a decision made before the wait started', async () => {
    const { approval } = await h.approvals.open(openInput());
    await h.replica().vote(approval.id, { userId: 'U0BOB', decision: 'deny', reason: 'no' });
    const decided = await h.approvals.waitForDecision(approval.id, { timeoutMs: 60_000 });
    expect(decided).toMatchObject({ state: 'denied', deniedBy: 'U0BOB', denyReason: 'no' });
  });

  it('does not miss a decision racing the subscription (many rounds)', async () => {
    const other = h.replica();
    for (let round = 0; round < 25; round++) {
      const { approval } = await h.approvals.open(openInput({ agent: `agent-${round}` }));
      const [decided] = await Promise.all([
        h.approvals.waitForDecision(approval.id, { timeoutMs: 60_000 }),
        other.vote(approval.id, { userId: 'U0BOB', decision: 'approve' }),
      ]);
      expect(decided.state).toBe('approved');
    }
  });

  it('still sees a decision whose message was lost (a subscriber reconnecting), by polling', async () => {
    const polling = h.replica({ pollIntervalMs: 20 });
    const { approval } = await polling.open(openInput());
    const waiting = polling.waitForDecision(approval.id, { timeoutMs: 60_000 });
    // Decide without publishing, as if the message went out while the subscriber was away.
    await h.redis.hset(keysFor(h.prefix).approval(approval.id), 'state', 'denied', 'deniedBy', 'U0BOB');
    expect(await waiting).toMatchObject({ state: 'denied', deniedBy: 'U0BOB' });
  });

  it('returns the still-pending approval when the timeout passes', async () => {
    const { approval } = await h.approvals.open(openInput());
    const result = await h.approvals.waitForDecision(approval.id, { timeoutMs: 10 });
    expect(result).toMatchObject({ id: approval.id, state: 'pending' });
  });

  it('rejects with the reason when the client goes away, and for unknown ids', async () => {
    const { approval } = await h.approvals.open(openInput());
    const controller = new AbortController();
    const waiting = h.approvals.waitForDecision(approval.id, {
      timeoutMs: 60_000,
      signal: controller.signal,
    });
    controller.abort(new Error('client closed'));
    await expect(waiting).rejects.toThrow('client closed');
    await expect(h.approvals.waitForDecision('nosuchid0000', { timeoutMs: 60_000 })).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });
});
