import { Queue } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidInputError, NotFoundError } from '../errors.js';
import { type Harness, harness, openInput, REDIS_URL } from '../test-support/index.js';

let h: Harness;
beforeEach(() => {
  h = harness();
});
afterEach(async () => {
  await h.cleanup();
});

async function open(approvalsNeeded: number): Promise<string> {
  return (await h.approvals.open(openInput({ approvalsNeeded }))).approval.id;
}

describe('vote', () => {
  it('approves with one approval, sets the grant window and leaves the pending list', async () => {
    const id = await open(1);
    const result = await h.approvals.vote(id, { userId: 'U0BOB', userName: 'bob', decision: 'approve' });
    expect(result).toMatchObject({ outcome: 'approved', approvals: 1, needed: 1 });
    expect(result.approval).toMatchObject({
      state: 'approved',
      decidedAt: h.clock.now(),
      grantExpiresAt: h.clock.now() + 10 * 60_000,
      votes: [{ userId: 'U0BOB', userName: 'bob', decision: 'approve', at: h.clock.now() }],
    });
    expect(await h.approvals.countPending()).toBe(0);
    expect((await h.approvals.listPending({ limit: 10 })).items).toEqual([]);
  });

  it('counts distinct people: N=2 needs two different approvers, a second click changes nothing', async () => {
    const id = await open(2);
    const first = await h.approvals.vote(id, { userId: 'U0BOB', decision: 'approve' });
    expect(first).toMatchObject({ outcome: 'recorded', approvals: 1, needed: 2 });
    const again = await h.approvals.vote(id, { userId: 'U0BOB', decision: 'approve' });
    expect(again).toMatchObject({ outcome: 'duplicate', approvals: 1 });
    expect(again.approval.revision).toBe(first.approval.revision);
    const denyAfterApprove = await h.approvals.vote(id, { userId: 'U0BOB', decision: 'deny' });
    expect(denyAfterApprove.outcome).toBe('duplicate');
    expect((await h.approvals.get(id))?.state).toBe('pending');
    const second = await h.approvals.vote(id, { userId: 'U0CAROL', decision: 'approve' });
    expect(second).toMatchObject({ outcome: 'approved', approvals: 2 });
    expect(second.approval.votes.map((v) => v.userId)).toEqual(['U0BOB', 'U0CAROL']);
  });

  it("refuses the agent's owners and records nothing", async () => {
    const id = await open(1);
    const result = await h.approvals.vote(id, { userId: 'U0ALICE', decision: 'approve' });
    expect(result.outcome).toBe('refused-owner');
    const stored = await h.approvals.get(id);
    expect(stored?.state).toBe('pending');
    expect(stored?.votes).toEqual([]);
  });

  it('one deny denies, with who and why', async () => {
    const id = await open(2);
    await h.approvals.vote(id, { userId: 'U0BOB', decision: 'approve' });
    const result = await h.approvals.vote(id, {
      userId: 'U0CAROL',
      decision: 'deny',
      reason: 'not during the freeze',
    });
    expect(result.outcome).toBe('denied');
    expect(result.approval).toMatchObject({
      state: 'denied',
      deniedBy: 'U0CAROL',
      denyReason: 'not during the freeze',
      decidedAt: h.clock.now(),
    });
    expect(result.approval.grantExpiresAt).toBeUndefined();
    expect(await h.approvals.countPending()).toBe(0);
  });

  it('says already decided (with the state and who) for votes after the decision', async () => {
    const approvedId = await open(1);
    await h.approvals.vote(approvedId, { userId: 'U0BOB', decision: 'approve' });
    const late = await h.approvals.vote(approvedId, { userId: 'U0CAROL', decision: 'deny' });
    expect(late).toMatchObject({ outcome: 'already-decided', state: 'approved', decidedBy: ['U0BOB'] });
    expect((await h.approvals.get(approvedId))?.state).toBe('approved');

    const deniedId = (await h.approvals.open(openInput({ agent: 'agent-2' }))).approval.id;
    await h.approvals.vote(deniedId, { userId: 'U0BOB', decision: 'deny' });
    const lateApprove = await h.approvals.vote(deniedId, { userId: 'U0CAROL', decision: 'approve' });
    expect(lateApprove).toMatchObject({ outcome: 'already-decided', state: 'denied', decidedBy: ['U0BOB'] });
    // Also owners and repeat voters hear that it is decided, not a refusal.
    const owner = await h.approvals.vote(deniedId, { userId: 'U0ALICE', decision: 'approve' });
    expect(owner.outcome).toBe('already-decided');
  });

  it('rejects an unknown id and a malformed vote', async () => {
    await expect(
      h.approvals.vote('nosuchid0000', { userId: 'U0BOB', decision: 'approve' }),
    ).rejects.toBeInstanceOf(NotFoundError);
    const id = await open(1);
    await expect(h.approvals.vote(id, { userId: '', decision: 'approve' })).rejects.toBeInstanceOf(
      InvalidInputError,
    );
    expect((await h.approvals.get(id))?.votes).toEqual([]);
  });

  it('100 concurrent approvals needing 2, over two replicas: exactly one approved result', async () => {
    const id = await open(2);
    const other = h.replica();
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        (i % 2 === 0 ? h.approvals : other).vote(id, { userId: `U${i}`, decision: 'approve' }),
      ),
    );
    const outcomes = results.map((r) => r.outcome);
    expect(outcomes.filter((o) => o === 'approved')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'recorded')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'already-decided')).toHaveLength(98);
    const stored = await h.approvals.get(id);
    expect(stored?.state).toBe('approved');
    expect(stored?.votes).toHaveLength(2);
  });

  it('approve and deny racing: one outcome, the same everywhere', async () => {
    for (let round = 0; round < 20; round++) {
      const id = (await h.approvals.open(openInput({ agent: `agent-${round}` }))).approval.id;
      const other = round === 0 ? h.replica() : undefined;
      const [a, b] = await Promise.all([
        h.approvals.vote(id, { userId: 'U0BOB', decision: 'approve' }),
        (other ?? h.approvals).vote(id, { userId: 'U0CAROL', decision: 'deny' }),
      ]);
      const winners = [a, b].filter((r) => r.outcome === 'approved' || r.outcome === 'denied');
      expect(winners).toHaveLength(1);
      const loser = [a, b].find((r) => r.outcome === 'already-decided');
      const stored = await h.approvals.get(id);
      expect(stored?.state).toBe(winners[0]?.outcome);
      expect(loser).toMatchObject({ state: stored?.state });
    }
  });

  it('enqueues one Slack refresh per change, none for refusals', async () => {
    const id = await open(3);
    const slack = new Queue(h.approvals.queueNames.slack, { connection: { url: REDIS_URL } });
    try {
      await h.approvals.vote(id, { userId: 'U0ALICE', decision: 'approve' }); // refused
      expect(await slack.getJobCounts('waiting')).toEqual({ waiting: 0 });
      await h.approvals.vote(id, { userId: 'U0BOB', decision: 'approve' });
      await h.approvals.vote(id, { userId: 'U0BOB', decision: 'approve' }); // duplicate
      await h.approvals.vote(id, { userId: 'U0CAROL', decision: 'approve' });
      // Waiting refreshes of one approval collapse into one: the worker renders the current state.
      const jobs = await slack.getJobs(['waiting']);
      expect(jobs.map((job) => job.data)).toEqual([{ id, revision: 2, change: 'vote' }]);
    } finally {
      await slack.close();
    }
  });
});
