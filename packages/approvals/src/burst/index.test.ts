import { type AuditLog, auditKeys, createAuditLog, readApproval } from '@gatehouse/audit';
import { Queue } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../errors.js';
import { BURST_JOB, type BurstJobData, type PostJobData } from '../queues/index.js';
import type { Approvals } from '../store/index.js';
import { type Harness, harness, openInput, REDIS_URL, sha256 } from '../test-support/index.js';

const LIMIT = 5;

let h: Harness;
let audit: AuditLog;
let approvals: Approvals;
let posts: Queue<PostJobData>;
let slack: Queue<BurstJobData>;
beforeEach(() => {
  h = harness();
  audit = createAuditLog({ redis: REDIS_URL, prefix: h.prefix });
  approvals = h.replica({ audit });
  posts = new Queue(approvals.queueNames.approvals, { connection: { url: REDIS_URL } });
  slack = new Queue(approvals.queueNames.slack, { connection: { url: REDIS_URL } });
});
afterEach(async () => {
  await posts.close();
  await slack.close();
  await audit.close();
  await h.cleanup();
});

/** One held delete of its own namespace (a request of its own, not a join), a millisecond apart. */
async function held(index: number, agent = 'agent-oncall') {
  h.clock.advance(1);
  const body = `{"kind":"DeleteOptions","apiVersion":"v1","n":${index}}`;
  const { approval } = await approvals.open(
    openInput({
      agent,
      command: `kubectl delete namespace ns-${index}`,
      request: {
        method: 'DELETE',
        path: `/api/v1/namespaces/ns-${index}`,
        query: '',
        headers: { 'content-type': 'application/json' },
        bodyBase64: Buffer.from(body).toString('base64'),
        bodySha256: sha256(body),
      },
    }),
  );
  return approval;
}

async function burstOf(agent = 'agent-oncall') {
  return await approvals.burst(agent, 100);
}

async function story(approvalId: string): Promise<string[]> {
  const entries = await readApproval(h.redis, auditKeys(h.prefix), approvalId);
  return entries.map((entry) => (JSON.parse(entry.line) as { type: string }).type);
}

describe('coalescing an agent burst', () => {
  it('never gives more than the limit their own message, however many post jobs race on however many replicas', async () => {
    const requests = [];
    for (let i = 0; i < 40; i++) requests.push(await held(i));
    const replicas = [approvals, h.replica(), h.replica(), h.replica()];
    const placements = await Promise.all(
      requests.map((request, i) => replicas[i % replicas.length]!.place(request.id, LIMIT)),
    );
    expect(placements.filter((placement) => placement === 'own')).toHaveLength(LIMIT);
    expect(placements.filter((placement) => placement === 'coalesced')).toHaveLength(40 - LIMIT);
    expect(await h.redis.scard(`${h.prefix}:agent:agent-oncall:posted`)).toBe(LIMIT);
    expect((await burstOf()).total).toBe(40 - LIMIT);
    // A retried post job gets the same answer, and takes nothing more.
    const again = await Promise.all(requests.map((request) => approvals.place(request.id, LIMIT)));
    expect(again).toEqual(placements);
    expect(await h.redis.scard(`${h.prefix}:agent:agent-oncall:posted`)).toBe(LIMIT);
  });

  it('lists the waiting oldest first, and enqueues the burst message once per agent', async () => {
    const requests = [];
    for (let i = 0; i < 8; i++) requests.push(await held(i));
    for (const request of requests) await approvals.place(request.id, LIMIT);
    const burst = await burstOf();
    expect(burst.total).toBe(3);
    expect(burst.waiting.map((approval) => approval.id)).toEqual(requests.slice(5).map((r) => r.id));
    expect(burst.message).toBeUndefined();
    const bursts = (await slack.getJobs(['waiting'])).filter((job) => job.name === BURST_JOB);
    expect(bursts.map((job) => job.data)).toEqual([{ agent: 'agent-oncall' }]);
    expect(await story(requests[5]!.id)).toEqual(['approval.requested', 'approval.coalesced']);
    expect(await story(requests[0]!.id)).toEqual(['approval.requested']);
  });

  it('another agent has places of its own', async () => {
    for (let i = 0; i < 7; i++) await approvals.place((await held(i)).id, LIMIT);
    const other = await held(100, 'agent-deploy');
    expect(await approvals.place(other.id, LIMIT)).toBe('own');
  });

  it('a decision frees a place; the promoter gives it to the oldest waiting, which gets a post job', async () => {
    const requests = [];
    for (let i = 0; i < 8; i++) requests.push(await held(i));
    for (const request of requests) await approvals.place(request.id, LIMIT);
    // Nothing is free yet: nothing moves.
    expect(await approvals.promoteWaiting('agent-oncall', LIMIT)).toEqual([]);

    await approvals.vote(requests[2]!.id, { userId: 'U0BOB', decision: 'deny', reason: 'no' });
    expect(await h.redis.sismember(`${h.prefix}:agent:agent-oncall:posted`, requests[2]!.id)).toBe(0);
    expect(await approvals.promoteWaiting('agent-oncall', LIMIT)).toEqual([requests[5]!.id]);
    expect(await approvals.promoteWaiting('agent-oncall', LIMIT)).toEqual([]);
    expect((await posts.getJob(`promoted-${requests[5]!.id}`))?.data).toEqual({ id: requests[5]!.id });
    expect((await burstOf()).waiting.map((approval) => approval.id)).toEqual([
      requests[6]!.id,
      requests[7]!.id,
    ]);
    expect(await story(requests[5]!.id)).toEqual([
      'approval.requested',
      'approval.coalesced',
      'approval.promoted',
    ]);

    // An approval frees its place too, and a newcomer queues behind the waiting ones.
    await approvals.vote(requests[0]!.id, { userId: 'U0BOB', decision: 'approve' });
    const late = await held(50);
    expect(await approvals.place(late.id, LIMIT)).toBe('coalesced');
    expect((await burstOf()).waiting.map((approval) => approval.id)).toEqual([requests[7]!.id, late.id]);
  });

  it('a waiting approval that expires leaves the list, is recorded expired, and is never promoted', async () => {
    const requests = [];
    for (let i = 0; i < 6; i++) requests.push(await held(i));
    for (const request of requests) await approvals.place(request.id, LIMIT);
    h.clock.advance(31 * 60_000);
    await approvals.sweepExpired();
    expect((await approvals.get(requests[5]!.id))?.state).toBe('expired');
    expect(await story(requests[5]!.id)).toContain('approval.expired');
    expect((await burstOf()).total).toBe(0);
    expect(await approvals.promoteWaiting('agent-oncall', LIMIT)).toEqual([]);
    expect(await story(requests[5]!.id)).not.toContain('approval.promoted');
    expect(await h.redis.exists(`${h.prefix}:agent:agent-oncall:posted`)).toBe(0);
  });

  it('a place freed after a waiting approval is due is not given to it: the sweeper expires it', async () => {
    const requests = [];
    for (let i = 0; i < 6; i++) requests.push(await held(i));
    for (const request of requests) await approvals.place(request.id, LIMIT);
    h.clock.advance(31 * 60_000);
    // The sweeper reached an own one first: its place frees while the waiting one is still pending.
    await approvals.expire(requests[0]!.id);
    expect(await approvals.promoteWaiting('agent-oncall', LIMIT)).toEqual([]);
    expect((await approvals.expire(requests[5]!.id)).state).toBe('expired');
    expect((await burstOf()).total).toBe(0);
  });

  it('"Post for review" gives a waiting approval its own message past the limit, once, and names who asked', async () => {
    const requests = [];
    for (let i = 0; i < 7; i++) requests.push(await held(i));
    for (const request of requests) await approvals.place(request.id, LIMIT);
    const bob = { id: 'U0BOB', name: 'bob' };
    expect(await approvals.postForReview(requests[6]!.id, bob)).toEqual({ outcome: 'promoted' });
    expect(await approvals.postForReview(requests[6]!.id, bob)).toEqual({ outcome: 'not-waiting' });
    expect(await approvals.place(requests[6]!.id, LIMIT)).toBe('own');
    expect(await h.redis.scard(`${h.prefix}:agent:agent-oncall:posted`)).toBe(LIMIT + 1);
    expect((await posts.getJob(`promoted-${requests[6]!.id}`))?.data).toEqual({ id: requests[6]!.id });
    const entries = await readApproval(h.redis, auditKeys(h.prefix), requests[6]!.id);
    expect(JSON.parse(entries.at(-1)!.line)).toMatchObject({
      type: 'approval.promoted',
      agent: 'agent-oncall',
      by: bob,
    });

    // Over the limit, a decision frees no place for the waiting one.
    await approvals.vote(requests[0]!.id, { userId: 'U0BOB', decision: 'deny' });
    expect(await approvals.promoteWaiting('agent-oncall', LIMIT)).toEqual([]);
    expect(await approvals.postForReview(requests[0]!.id, bob)).toEqual({
      outcome: 'not-pending',
      state: 'denied',
    });
  });

  it('refuses a limit below 1 before touching Redis', async () => {
    const request = await held(0);
    await expect(approvals.place(request.id, 0)).rejects.toBeInstanceOf(InvalidInputError);
    await expect(approvals.promoteWaiting('agent-oncall', 1.5)).rejects.toBeInstanceOf(InvalidInputError);
  });
});
