import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidTransitionError } from '../errors.js';
import { type Harness, harness, openInput } from '../test-support/index.js';

let h: Harness;
beforeEach(() => {
  h = harness();
});
afterEach(async () => {
  await h.cleanup();
});

const TTL = 30 * 60_000;

describe('expiry', () => {
  it('expires pending requests past expiresAt, without anyone clicking, and not before', async () => {
    const { approval } = await h.approvals.open(openInput());
    h.clock.advance(TTL - 1);
    expect(await h.approvals.sweepExpired()).toBe(0);
    await expect(h.approvals.expire(approval.id)).rejects.toBeInstanceOf(InvalidTransitionError);
    h.clock.advance(1);
    expect(await h.approvals.sweepExpired()).toBe(1);
    const stored = await h.approvals.get(approval.id);
    expect(stored).toMatchObject({ state: 'expired', decidedAt: h.clock.now() });
    expect(stored?.request.bodyBase64).toBeUndefined();
    expect(await h.approvals.countPending()).toBe(0);
    expect(await h.approvals.sweepExpired()).toBe(0);
  });

  it('never expires a decided request', async () => {
    const approved = (await h.approvals.open(openInput())).approval.id;
    const denied = (await h.approvals.open(openInput({ agent: 'agent-2' }))).approval.id;
    await h.approvals.vote(approved, { userId: 'U0BOB', decision: 'approve' });
    await h.approvals.vote(denied, { userId: 'U0BOB', decision: 'deny' });
    h.clock.advance(TTL);
    // The unclaimed approval's grant (10 minutes) ran out too: it lapses, it never expires.
    expect(await h.approvals.sweepExpired()).toBe(1);
    await expect(h.approvals.expire(approved)).rejects.toMatchObject({ state: 'lapsed' });
    expect((await h.approvals.get(approved))?.state).toBe('lapsed');
    expect((await h.approvals.get(denied))?.state).toBe('denied');
  });

  it('a vote past expiresAt expires the request instead of counting, even before the sweeper runs', async () => {
    const { approval } = await h.approvals.open(openInput());
    h.clock.advance(TTL);
    const vote = await h.approvals.vote(approval.id, { userId: 'U0BOB', decision: 'approve' });
    expect(vote.outcome).toBe('expired');
    expect(vote.approval.votes).toEqual([]);
    const again = await h.approvals.vote(approval.id, { userId: 'U0CAROL', decision: 'approve' });
    expect(again.outcome).toBe('expired');
    expect(await h.approvals.claimDispatch(approval.id, 'gw', 'hold')).toBe(false);
    expect(await h.approvals.sweepExpired()).toBe(0);
  });

  it('the background sweeper expires requests stored before a restart', async () => {
    const { approval } = await h.approvals.open(openInput());
    await h.approvals.close();
    h.clock.advance(TTL);
    // The restarted process runs its sweeper; nobody calls expire or votes.
    const restarted = h.replica({ sweepIntervalMs: 20 });
    const decided = await restarted.waitForDecision(approval.id, { timeoutMs: 30_000 });
    expect(decided.state).toBe('expired');
  });
});
