import { Queue } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../errors.js';
import { fingerprintOf } from '../fingerprint/index.js';
import { POST_JOB } from '../queues/index.js';
import { type Harness, harness, openInput, REDIS_URL } from '../test-support/index.js';

let h: Harness;
beforeEach(() => {
  h = harness();
});
afterEach(async () => {
  await h.cleanup();
});

async function postJobs(): Promise<{ name: string; id: string | undefined; data: unknown }[]> {
  const queue = new Queue(h.approvals.queueNames.approvals, { connection: { url: REDIS_URL } });
  try {
    const jobs = await queue.getJobs(['waiting', 'delayed', 'active', 'completed', 'failed']);
    return jobs.map((job) => ({ name: job.name, id: job.id, data: job.data }));
  } finally {
    await queue.close();
  }
}

describe('open', () => {
  it('stores a pending approval with its fingerprint, expiry and body', async () => {
    const input = openInput();
    const { approval, joined } = await h.approvals.open(input);
    expect(joined).toBe(false);
    expect(approval).toMatchObject({
      state: 'pending',
      agent: 'agent-oncall',
      cluster: 'prod',
      owners: ['U0ALICE'],
      votes: [],
      approvalsNeeded: 1,
      createdAt: h.clock.now(),
      expiresAt: h.clock.now() + 30 * 60_000,
      fingerprint: fingerprintOf(input),
      revision: 1,
    });
    expect(approval.id).toMatch(/^[0-9a-z]{12}$/);
    const stored = await h.approvals.get(approval.id);
    expect(stored).toEqual(approval);
    expect(stored?.request.bodyBase64).toBe(input.request.bodyBase64);
  });

  it('stores the body once: apart from the hash and the post job, and only while a request or grant can use it', async () => {
    const input = openInput();
    const { approval } = await h.approvals.open(input);
    const bodyKey = `${h.prefix}:approval:${approval.id}:body`;
    expect(await h.redis.get(bodyKey)).toBe(input.request.bodyBase64);
    // Request TTL 30 min + grant TTL 10 min (the harness), not the approval's retention (days).
    const ttl = await h.redis.pttl(bodyKey);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(40 * 60_000);
    expect(await h.redis.hget(`${h.prefix}:approval:${approval.id}`, 'request')).not.toContain(
      input.request.bodyBase64!,
    );
    const job = await h.redis.hget(`bull:${h.prefix}-approvals:${approval.id}`, 'data');
    expect(JSON.parse(job ?? 'null')).toEqual({ id: approval.id });
  });

  it('keeps who the request runs as, and leaves it absent when not given', async () => {
    const runAs = { user: 'gatehouse:agent:agent-oncall', groups: ['gatehouse:agents', 'team:sre'] };
    const { approval } = await h.approvals.open(openInput({ runAs }));
    expect((await h.approvals.get(approval.id))?.runAs).toEqual(runAs);
    const other = await h.approvals.open(openInput({ cluster: 'staging' }));
    expect(other.approval.runAs).toBeUndefined();
  });

  it('answers a created approval as Redis stores it, every field, without reading it back', async () => {
    const input = openInput({
      runAs: { user: 'gatehouse:agent:agent-oncall', groups: ['gatehouse:agents'] },
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      approvalsNeeded: 2,
    });
    const { approval } = await h.approvals.open(input);
    expect(approval).toEqual(await h.approvals.get(approval.id));
    const withoutBody = await h.approvals.open(
      openInput({ cluster: 'staging', request: { ...input.request, bodyBase64: undefined } }),
    );
    expect(withoutBody.approval).toEqual(await h.approvals.get(withoutBody.approval.id));
  });

  it('joins an identical pending request from the same agent, and enqueues one post', async () => {
    const first = await h.approvals.open(openInput());
    const second = await h.approvals.open(openInput());
    expect(second.joined).toBe(true);
    expect(second.approval.id).toBe(first.approval.id);
    expect(await h.approvals.countPending()).toBe(1);
    expect(await postJobs()).toEqual([
      { name: POST_JOB, id: first.approval.id, data: { id: first.approval.id } },
    ]);
  });

  it('creates exactly one approval from 50 concurrent identical opens on two replicas', async () => {
    const other = h.replica();
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? h.approvals : other).open(openInput())),
    );
    const ids = new Set(results.map((r) => r.approval.id));
    expect(ids.size).toBe(1);
    expect(results.filter((r) => !r.joined)).toHaveLength(1);
    expect(await h.approvals.countPending()).toBe(1);
    expect(await postJobs()).toHaveLength(1);
  });

  it('keeps different agents, bodies and clusters apart', async () => {
    const base = await h.approvals.open(openInput());
    const others = await Promise.all([
      h.approvals.open(openInput({ agent: 'agent-other' })),
      h.approvals.open(openInput({ cluster: 'staging' })),
      h.approvals.open(openInput({ request: { ...openInput().request, bodySha256: 'ab'.repeat(32) } })),
    ]);
    expect(others.every((r) => !r.joined && r.approval.id !== base.approval.id)).toBe(true);
    expect(await h.approvals.countPending()).toBe(4);
    expect(await postJobs()).toHaveLength(4);
  });

  it('does not join a decided request: the same command after a denial asks again', async () => {
    const first = await h.approvals.open(openInput());
    await h.approvals.vote(first.approval.id, { userId: 'U0BOB', decision: 'deny' });
    const again = await h.approvals.open(openInput());
    expect(again.joined).toBe(false);
    expect(again.approval.id).not.toBe(first.approval.id);
  });

  it('does not join a pending request past its expiry', async () => {
    const first = await h.approvals.open(openInput());
    h.clock.advance(30 * 60_000);
    const again = await h.approvals.open(openInput());
    expect(again.joined).toBe(false);
    expect(again.approval.id).not.toBe(first.approval.id);
  });

  it('rejects input the model cannot hold', async () => {
    await expect(h.approvals.open(openInput({ approvalsNeeded: 0 }))).rejects.toBeInstanceOf(
      InvalidInputError,
    );
    await expect(h.approvals.open(openInput({ agent: '' }))).rejects.toBeInstanceOf(InvalidInputError);
    expect(await h.approvals.countPending()).toBe(0);
  });

  it('returns undefined for an unknown id', async () => {
    expect(await h.approvals.get('nosuchid0000')).toBeUndefined();
  });
});
