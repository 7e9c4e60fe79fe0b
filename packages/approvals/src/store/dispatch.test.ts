import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidTransitionError, NotFoundError } from '../errors.js';
import { deleteNamespace, type Harness, harness, openInput } from '../test-support/index.js';

let h: Harness;
beforeEach(() => {
  h = harness();
});
afterEach(async () => {
  await h.cleanup();
});

async function approved(overrides = {}): Promise<{ id: string; fingerprint: string }> {
  const { approval } = await h.approvals.open(openInput(overrides));
  const vote = await h.approvals.vote(approval.id, { userId: 'U0BOB', decision: 'approve' });
  expect(vote.outcome).toBe('approved');
  return { id: approval.id, fingerprint: approval.fingerprint };
}

describe('claimDispatch', () => {
  it('is true exactly once across 50 concurrent callers on two replicas', async () => {
    const { id } = await approved();
    const other = h.replica();
    const claims = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        (i % 2 === 0 ? h.approvals : other).claimDispatch(id, `gw-${i}`, 'hold'),
      ),
    );
    expect(claims.filter(Boolean)).toHaveLength(1);
    const winner = `gw-${claims.indexOf(true)}`;
    const stored = await h.approvals.get(id);
    expect(stored).toMatchObject({
      state: 'dispatched',
      dispatch: { via: 'hold', holder: winner, at: h.clock.now() },
    });
    // The body is gone once nothing can send it any more.
    expect(stored?.request.bodyBase64).toBeUndefined();
  });

  it('is false for pending and denied requests, and for an approval past its grant window', async () => {
    const { approval } = await h.approvals.open(openInput());
    expect(await h.approvals.claimDispatch(approval.id, 'gw', 'hold')).toBe(false);
    await h.approvals.vote(approval.id, { userId: 'U0BOB', decision: 'deny' });
    expect(await h.approvals.claimDispatch(approval.id, 'gw', 'hold')).toBe(false);

    const late = await approved({ agent: 'agent-late' });
    h.clock.advance(10 * 60_000);
    expect(await h.approvals.claimDispatch(late.id, 'gw', 'hold')).toBe(false);
    expect((await h.approvals.get(late.id))?.state).toBe('approved');
  });

  it('throws NotFoundError for an unknown id', async () => {
    await expect(h.approvals.claimDispatch('nosuchid0000', 'gw', 'hold')).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });
});

describe('completeDispatch', () => {
  it('records the upstream status after a dispatch, and only then', async () => {
    const { id } = await approved();
    await expect(h.approvals.completeDispatch(id, { status: 200, durationMs: 12 })).rejects.toMatchObject({
      code: 'APPROVALS_INVALID_TRANSITION',
      state: 'approved',
    });
    expect(await h.approvals.claimDispatch(id, 'gw-1', 'hold')).toBe(true);
    const done = await h.approvals.completeDispatch(id, { status: 200, durationMs: 12 });
    expect(done).toMatchObject({
      state: 'completed',
      dispatch: { via: 'hold', holder: 'gw-1', status: 200, durationMs: 12 },
    });
    await expect(h.approvals.completeDispatch(id, { status: 200, durationMs: 1 })).rejects.toBeInstanceOf(
      InvalidTransitionError,
    );
  });
});

describe('grants', () => {
  it('finds and claims the grant once, for the same agent and request only', async () => {
    const { id, fingerprint } = await approved();
    const other = h.replica();
    expect(await h.approvals.findGrant('agent-other', fingerprint)).toBeUndefined();
    expect(await h.approvals.claimGrant('agent-other', fingerprint, 'gw')).toBeUndefined();
    expect(await h.approvals.claimGrant('agent-oncall', 'f'.repeat(64), 'gw')).toBeUndefined();
    expect((await h.approvals.findGrant('agent-oncall', fingerprint))?.id).toBe(id);

    const claims = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 === 0 ? h.approvals : other).claimGrant('agent-oncall', fingerprint, `gw-${i}`),
      ),
    );
    const won = claims.filter((c) => c !== undefined);
    expect(won).toHaveLength(1);
    expect(won[0]).toMatchObject({ id, state: 'dispatched', dispatch: { via: 'grant' } });
    expect(await h.approvals.findGrant('agent-oncall', fingerprint)).toBeUndefined();
    expect(await h.approvals.claimDispatch(id, 'gw', 'hold')).toBe(false);
  });

  it('is not claimable once grantTtl has passed', async () => {
    const { fingerprint } = await approved();
    h.clock.advance(10 * 60_000 - 1);
    expect(await h.approvals.findGrant('agent-oncall', fingerprint)).toBeDefined();
    h.clock.advance(1);
    expect(await h.approvals.findGrant('agent-oncall', fingerprint)).toBeUndefined();
    expect(await h.approvals.claimGrant('agent-oncall', fingerprint, 'gw')).toBeUndefined();
  });

  it('is not claimable while pending, nor after a denial', async () => {
    const { approval } = await h.approvals.open(openInput());
    expect(await h.approvals.claimGrant('agent-oncall', approval.fingerprint, 'gw')).toBeUndefined();
    await h.approvals.vote(approval.id, { userId: 'U0BOB', decision: 'deny' });
    expect(await h.approvals.claimGrant('agent-oncall', approval.fingerprint, 'gw')).toBeUndefined();
    expect((await h.approvals.get(approval.id))?.state).toBe('denied');
  });

  it('an exec retried over SPDY claims the grant of its WebSocket approval', async () => {
    const exec = openInput({
      action: { ...deleteNamespace, verb: 'exec', resource: 'pods', subresource: 'exec' },
      request: { ...openInput().request, method: 'GET', query: 'command=sh&stdin=true' },
    });
    const ws = await h.approvals.open(exec);
    const spdy = await h.approvals.open({ ...exec, request: { ...exec.request, method: 'POST' } });
    expect(spdy).toMatchObject({ joined: true, approval: { id: ws.approval.id } });
    await h.approvals.vote(ws.approval.id, { userId: 'U0BOB', decision: 'approve' });
    expect((await h.approvals.claimGrant('agent-oncall', spdy.approval.fingerprint, 'gw'))?.id).toBe(
      ws.approval.id,
    );
  });
});
