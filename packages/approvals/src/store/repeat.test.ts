import { scanKeys } from '@gatehouse/testkit/redis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deleteNamespace, type Harness, harness, openInput } from '../test-support/index.js';
import type { OpenInput } from './types.js';

let h: Harness;
beforeEach(() => {
  h = harness();
});
afterEach(async () => {
  await h.cleanup();
});

/** kubectl exec's first attempt: a WebSocket GET. */
const webSocketExec: OpenInput = openInput({
  action: { ...deleteNamespace, verb: 'exec', resource: 'pods', name: 'web-0', subresource: 'exec' },
  command: 'kubectl exec -n prod web-0 -- sh',
  request: {
    method: 'GET',
    path: '/api/v1/namespaces/prod/pods/web-0/exec',
    query: 'command=sh&stdin=true&stdout=true&tty=true',
    headers: {},
    bodySha256: openInput().request.bodySha256,
  },
});
/** Its SPDY retry once the WebSocket upgrade is refused: a POST of the same exec. */
const spdyExec: OpenInput = { ...webSocketExec, request: { ...webSocketExec.request, method: 'POST' } };

async function approvalCount(): Promise<number> {
  return (await scanKeys(h.redis, `${h.prefix}:approval:*`)).filter((key) => !/:(body|holders)$/.test(key))
    .length;
}

async function deniedExec(): Promise<string> {
  const { approval } = await h.approvals.open(webSocketExec);
  await h.approvals.vote(approval.id, { userId: 'U0BOB', decision: 'deny', reason: 'not during the freeze' });
  return approval.id;
}

describe('open repeats a just-refused exec', () => {
  it('answers the SPDY retry of a denied exec with that denial, on another replica too, and opens nothing', async () => {
    const id = await deniedExec();
    const decidedAt = h.clock.now();
    h.clock.advance(50);
    const retry = await h.approvals.open(spdyExec);
    expect(retry).toEqual({
      approval: expect.objectContaining({ id, state: 'denied', deniedBy: 'U0BOB' }),
      joined: true,
      repeatedUntil: decidedAt + 60_000,
    });
    const other = await h.replica().open(spdyExec);
    expect(other).toMatchObject({ approval: { id, state: 'denied' }, repeatedUntil: decidedAt + 60_000 });
    expect(await approvalCount()).toBe(1);
    expect(await h.approvals.countPending()).toBe(0);
  });

  it('asks anew once the window has passed: a person re-running the command later gets a fresh approval', async () => {
    const id = await deniedExec();
    h.clock.advance(60_000 - 1);
    expect((await h.approvals.open(spdyExec)).approval.id).toBe(id);
    h.clock.advance(1);
    const fresh = await h.approvals.open(webSocketExec);
    expect(fresh.joined).toBe(false);
    expect(fresh.repeatedUntil).toBeUndefined();
    expect(fresh.approval).toMatchObject({ state: 'pending', votes: [] });
    expect(fresh.approval.id).not.toBe(id);
    // The fresh request is now the one identical requests join.
    expect((await h.approvals.open(spdyExec)).approval.id).toBe(fresh.approval.id);
  });

  it('answers the retry of an exec that expired with that expiry', async () => {
    const { approval } = await h.approvals.open(webSocketExec);
    h.clock.advance(30 * 60_000);
    await h.approvals.expire(approval.id);
    h.clock.advance(10);
    const retry = await h.approvals.open(spdyExec);
    expect(retry).toMatchObject({
      approval: { id: approval.id, state: 'expired' },
      joined: true,
      repeatedUntil: approval.expiresAt + 60_000,
    });
    expect(await approvalCount()).toBe(1);
  });

  it('takes the window from the options, and 0 turns it off', async () => {
    const short = h.replica({ connectRetryWindowMs: 1000 });
    const off = h.replica({ connectRetryWindowMs: 0 });
    const id = await deniedExec();
    h.clock.advance(999);
    expect((await short.open(spdyExec)).approval.id).toBe(id);
    const fresh = await off.open(spdyExec);
    expect(fresh).toMatchObject({ joined: false, approval: { state: 'pending' } });
  });

  it('never repeats other verbs: a denied delete re-run at once asks anew', async () => {
    const { approval } = await h.approvals.open(openInput());
    await h.approvals.vote(approval.id, { userId: 'U0BOB', decision: 'deny' });
    const again = await h.approvals.open(openInput());
    expect(again).toMatchObject({ joined: false, approval: { state: 'pending' } });
    expect(again.approval.id).not.toBe(approval.id);
  });

  it('never repeats an approval that was used: the next identical exec asks anew', async () => {
    const { approval } = await h.approvals.open(webSocketExec);
    await h.approvals.vote(approval.id, { userId: 'U0BOB', decision: 'approve' });
    expect(await h.approvals.claimDispatch(approval.id, 'gw', 'hold')).toBe(true);
    const next = await h.approvals.open(spdyExec);
    expect(next).toMatchObject({ joined: false, approval: { state: 'pending' } });
    expect(next.approval.id).not.toBe(approval.id);
  });

  it('answers the SPDY retry of an exec that went stale with that answer, from when it went stale', async () => {
    const { approval } = await h.approvals.open(webSocketExec);
    await h.approvals.vote(approval.id, { userId: 'U0BOB', decision: 'approve' });
    // Approved long before the dispatch found the pod replaced: the window runs from going stale.
    h.clock.advance(5 * 60_000);
    expect(await h.approvals.claimDispatch(approval.id, 'gw', 'hold')).toBe(true);
    await h.approvals.markStale(approval.id, 'gw', 'pod prod/web-0 was replaced after it was approved');
    const staleAt = h.clock.now();
    h.clock.advance(50);
    const retry = await h.approvals.open(spdyExec);
    expect(retry).toMatchObject({
      approval: { id: approval.id, state: 'stale' },
      joined: true,
      repeatedUntil: staleAt + 60_000,
    });
    expect(await approvalCount()).toBe(1);
    h.clock.advance(60_000);
    expect((await h.approvals.open(spdyExec)).approval.id).not.toBe(approval.id);
  });
});
