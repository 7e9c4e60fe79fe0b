import { Queue } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NotFoundError } from '../errors.js';
import { NOTIFY_JOB, type PostJobData, REFRESH_JOB, type RefreshJobData } from '../queues/index.js';
import { type Harness, harness, openInput, REDIS_URL } from '../test-support/index.js';

let h: Harness;
let posts: Queue<PostJobData>;
let refreshes: Queue<RefreshJobData>;
beforeEach(() => {
  h = harness();
  posts = new Queue(h.approvals.queueNames.approvals, { connection: { url: REDIS_URL } });
  refreshes = new Queue(h.approvals.queueNames.slack, { connection: { url: REDIS_URL } });
});
afterEach(async () => {
  await posts.close();
  await refreshes.close();
  await h.cleanup();
});

async function waitingRefreshes(): Promise<RefreshJobData[]> {
  return (await refreshes.getJobs(['waiting']))
    .filter((job) => job.name === REFRESH_JOB)
    .map((job) => job.data);
}

describe('Slack bookkeeping', () => {
  it('setSlackMessage records the message and enqueues a refresh (votes may have come before it)', async () => {
    const { approval } = await h.approvals.open(openInput());
    expect(await waitingRefreshes()).toEqual([]);
    const updated = await h.approvals.setSlackMessage(approval.id, {
      channel: 'C0APPROVALS',
      ts: '1700000000.000100',
    });
    expect(updated).toMatchObject({
      slack: { channel: 'C0APPROVALS', ts: '1700000000.000100' },
      revision: 2,
    });
    expect((await h.approvals.get(approval.id))?.slack).toEqual(updated.slack);
    expect(await waitingRefreshes()).toEqual([{ id: approval.id, revision: 2, change: 'slack' }]);
    await expect(
      h.approvals.setSlackMessage('nosuchid0000', { channel: 'C', ts: '1' }),
    ).rejects.toBeInstanceOf(NotFoundError);
    expect(await h.redis.exists(`${h.prefix}:approval:nosuchid0000`)).toBe(0);
  });

  it('a dispatch claim enqueues its refresh while the claimer goes on to send', async () => {
    const { approval } = await h.approvals.open(openInput());
    await h.approvals.vote(approval.id, { userId: 'U0BOB', decision: 'approve' });
    // As if the slackbot had rendered the vote's refresh: a waiting one would absorb the next.
    await refreshes.obliterate({ force: true });
    expect(await h.approvals.claimDispatch(approval.id, 'replica-a', 'hold')).toBe(true);
    // Not awaited by the claim, so it lands a moment later.
    await expect
      .poll(async () => (await waitingRefreshes()).map((job) => job.change))
      .toEqual(['dispatched']);
  });

  it('a join re-enqueues a post lost to a crash, and never once the message exists', async () => {
    const { approval } = await h.approvals.open(openInput());
    await posts.remove(approval.id); // as if the process died between storing and enqueueing
    expect(await posts.getJob(approval.id)).toBeUndefined();
    await h.approvals.open(openInput());
    expect((await posts.getJob(approval.id))?.data).toEqual({ id: approval.id });

    await h.approvals.setSlackMessage(approval.id, { channel: 'C0APPROVALS', ts: '1.1' });
    await posts.remove(approval.id);
    await h.approvals.open(openInput());
    expect(await posts.getJob(approval.id)).toBeUndefined();
  });

  it('the expiry sweeper enqueues a refresh, so the message shows the expiry without a click', async () => {
    const { approval } = await h.approvals.open(openInput());
    h.clock.advance(30 * 60_000);
    expect(await h.approvals.sweepExpired()).toBe(1);
    const notify = (await refreshes.getJobs(['waiting'])).filter((job) => job.name === NOTIFY_JOB);
    expect(notify.map((job) => [job.id, job.data])).toEqual([
      [`notify-${approval.id}-expired`, { id: approval.id, state: 'expired' }],
    ]);
    expect(await waitingRefreshes()).toEqual([{ id: approval.id, revision: 2, change: 'expired' }]);
  });

  it('reports a failed refresh enqueue without failing the recorded vote', async () => {
    const errors: Error[] = [];
    const broken = h.replica({ onError: (error) => errors.push(error) });
    const { approval } = await broken.open(openInput());
    // A queue whose meta key holds the wrong type makes every add fail inside BullMQ's script.
    const meta = `bull:${h.approvals.queueNames.slack}:meta`;
    await h.redis.del(meta);
    await h.redis.set(meta, 'not a hash');
    const result = await broken.vote(approval.id, { userId: 'U0BOB', decision: 'approve' });
    expect(result.outcome).toBe('approved');
    expect(errors).toHaveLength(1);
  });
});
