import { type AuditLog, auditKeys, createAuditLog, readApproval } from '@gatehouse/audit';
import { Queue } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, harness, openInput, REDIS_URL } from '../test-support/index.js';

// A gateway that crashes never calls leave(): its held connections' presence is a lease it renews,
// and any sweeper ends a lease that ran out, recording the requester as gone.
let h: Harness;
let audit: AuditLog;
beforeEach(() => {
  h = harness();
  audit = createAuditLog({ redis: REDIS_URL, prefix: h.prefix });
});
afterEach(async () => {
  await audit.close();
  await h.cleanup();
});

async function story(approvalId: string): Promise<{ type: string; why?: string }[]> {
  const entries = await readApproval(h.redis, auditKeys(h.prefix), approvalId);
  return entries.map((entry) => JSON.parse(entry.line) as { type: string; why?: string });
}

describe('requester presence', () => {
  it('records the requester gone once a crashed gateway stops renewing, and approving then makes a grant', async () => {
    const crashing = h.replica({ presenceLeaseMs: 300, audit });
    const sweeper = h.replica({ audit });
    const { approval } = await crashing.open(openInput());
    await crashing.close(); // no leave(): the process is gone, its lease is not renewed

    await expect
      .poll(
        async () => {
          await sweeper.sweepExpired();
          return (await sweeper.get(approval.id))?.requesterGoneAt;
        },
        { timeout: 10_000, interval: 100 },
      )
      .toBeDefined();
    const gone = await sweeper.get(approval.id);
    expect(gone).toMatchObject({ state: 'pending', holders: 0 });
    expect(await story(approval.id)).toContainEqual(
      expect.objectContaining({
        type: 'requester.disconnected',
        why: 'the gateway holding the request stopped renewing its presence (it crashed or lost Redis)',
      }),
    );
    expect(await h.redis.zcard(`${h.prefix}:presence`)).toBe(0);

    await sweeper.vote(approval.id, { userId: 'U0BOB', decision: 'approve' });
    expect((await story(approval.id)).map((event) => event.type)).toContain('grant.issued');
  });

  it('keeps a requester whose gateway is alive, however often others sweep', async () => {
    const holding = h.replica({ presenceLeaseMs: 3_000, audit });
    const sweeper = h.replica({ audit });
    const { approval } = await holding.open(openInput());
    const lease = `${h.prefix}:presence`;
    const [, first] = await h.redis.zrange(lease, '0', '0', 'WITHSCORES');
    // Renewed (every lease / 3) past where the first lease ended: alive processes keep their leases.
    await expect
      .poll(async () => Number((await h.redis.zrange(lease, '0', '0', 'WITHSCORES'))[1]), { timeout: 10_000 })
      .toBeGreaterThan(Number(first));
    await sweeper.sweepExpired();

    expect((await sweeper.get(approval.id))?.requesterGoneAt).toBeUndefined();
    expect((await story(approval.id)).map((event) => event.type)).not.toContain('requester.disconnected');
  });

  it('ends the lease when the connection leaves, and a decided approval records no disconnect', async () => {
    const { approval } = await h.approvals.open(openInput());
    await h.approvals.vote(approval.id, { userId: 'U0BOB', decision: 'deny' });
    await h.approvals.leave(approval.id);

    expect(await h.redis.zcard(`${h.prefix}:presence`)).toBe(0);
    expect(await h.redis.exists(`${h.prefix}:approval:${approval.id}:holders`)).toBe(0);
    expect((await h.approvals.get(approval.id))?.requesterGoneAt).toBeUndefined();
  });

  it('refreshes the message when the last connection leaves a pending approval, at the revision that says so', async () => {
    const { approval } = await h.approvals.open(openInput());
    await h.approvals.open(openInput()); // a second connection joins
    const refreshes = new Queue(h.approvals.queueNames.slack, { connection: { url: REDIS_URL } });
    try {
      const presence = async () =>
        (await refreshes.getJobs(['waiting', 'delayed']))
          .map((job) => job.data)
          .filter((data) => data.change === 'presence');
      await h.approvals.leave(approval.id);
      expect(await presence()).toEqual([]); // one connection still holds it
      await h.approvals.leave(approval.id);
      const gone = await h.approvals.get(approval.id);
      expect(gone?.requesterGoneAt).toBeDefined();
      expect(await presence()).toEqual([{ id: approval.id, revision: gone?.revision, change: 'presence' }]);
    } finally {
      await refreshes.close();
    }
  });
});
