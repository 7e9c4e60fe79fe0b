import { Queue } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NotFoundError } from '../errors.js';
import type { ApprovalPreview } from '../model.js';
import type { RefreshJobData } from '../queues/index.js';
import { type Harness, harness, openInput, REDIS_URL } from '../test-support/index.js';

let h: Harness;
let refreshes: Queue<RefreshJobData>;
beforeEach(() => {
  h = harness();
  refreshes = new Queue(h.approvals.queueNames.slack, { connection: { url: REDIS_URL } });
});
afterEach(async () => {
  await refreshes.close();
  await h.cleanup();
});

const preview: ApprovalPreview = {
  status: 'ready',
  summary: 'Would delete: 3 deployments, 4 secrets',
  dryRun: { outcome: 'would-succeed' },
  at: 1_750_000_000_000,
  durationMs: 42,
};

describe('setPreview', () => {
  it('stores the preview, announces it and enqueues a refresh', async () => {
    const { approval } = await h.approvals.open(openInput());
    expect(approval.preview).toBeUndefined();
    const changes: unknown[] = [];
    const off = await h.approvals.onChange((change) => changes.push(change));
    await h.approvals.setPreview(approval.id, preview);
    expect(await h.approvals.get(approval.id)).toMatchObject({ preview, revision: 2, state: 'pending' });
    expect((await h.approvals.listPending({ limit: 10 })).items[0]?.preview).toEqual(preview);
    const jobs = (await refreshes.getJobs(['waiting'])).map((job) => job.data);
    expect(jobs).toEqual([{ id: approval.id, revision: 2, change: 'preview' }]);
    await h.approvals.vote(approval.id, { userId: 'U0BOB', decision: 'approve' });
    await expect.poll(() => changes.length).toBeGreaterThanOrEqual(2);
    expect(changes[0]).toEqual({ id: approval.id, state: 'pending', revision: 2, change: 'preview' });
    off();
  });

  it('keeps the preview through a decision, and an unavailable one replaces nothing else', async () => {
    const { approval } = await h.approvals.open(openInput());
    await h.approvals.vote(approval.id, { userId: 'U0BOB', decision: 'deny', reason: 'no' });
    const unavailable: ApprovalPreview = {
      status: 'unavailable',
      reason: 'timed out after 3s',
      at: 1,
      durationMs: 3000,
    };
    await h.approvals.setPreview(approval.id, unavailable);
    expect(await h.approvals.get(approval.id)).toMatchObject({
      state: 'denied',
      denyReason: 'no',
      preview: unavailable,
    });
  });

  it('throws NotFoundError for an unknown id and creates nothing', async () => {
    await expect(h.approvals.setPreview('nosuchid0000', preview)).rejects.toBeInstanceOf(NotFoundError);
    expect(await h.redis.exists(`${h.prefix}:approval:nosuchid0000`)).toBe(0);
  });
});
