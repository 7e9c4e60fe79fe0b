import { type AuditLog, auditKeys, createAuditLog, readApproval } from '@gatehouse/audit';
import { isoTime, runFact } from '@gatehouse/lifecycle';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runFactsOf } from '../facts.js';
import { type Harness, harness, openInput, REDIS_URL } from '../test-support/index.js';
import type { Approvals } from './index.js';

// The store records each transition in the same Lua script that makes it (through the audit
// outbox), so the chain holds every step, in the order the steps happened, with no app involved.
let h: Harness;
let audit: AuditLog;
let approvals: Approvals;
beforeEach(() => {
  h = harness();
  audit = createAuditLog({ redis: REDIS_URL, prefix: h.prefix });
  approvals = h.replica({ audit });
});
afterEach(async () => {
  await audit.close();
  await h.cleanup();
});

async function story(approvalId: string): Promise<string[]> {
  const entries = await readApproval(h.redis, auditKeys(h.prefix), approvalId);
  return entries.map((entry) => {
    const event = JSON.parse(entry.line) as { type: string; outcome?: string };
    return event.outcome ? `${event.type}:${event.outcome}` : event.type;
  });
}

describe('transitions recorded by the store', () => {
  it('records opening, a refused vote, the approval, the dispatch and its answer, in that order', async () => {
    const { approval } = await approvals.open(openInput());
    await approvals.vote(approval.id, { userId: 'U0EVE', decision: 'deny', refusal: 'not-in-group' });
    await approvals.vote(approval.id, { userId: 'U0BOB', decision: 'approve' });
    expect(await approvals.claimDispatch(approval.id, 'gw-1', 'hold')).toBe(true);
    await approvals.completeDispatch(approval.id, { status: 200, durationMs: 5 });

    const types = await story(approval.id);
    expect(types[0]).toBe('approval.requested');
    expect(types).toContain('vote:refused');
    const approved = types.indexOf('approval.approved');
    const dispatched = types.indexOf('dispatch');
    expect(approved).toBeGreaterThan(types.indexOf('vote:refused'));
    expect(dispatched).toBeGreaterThan(approved);
    expect(types.indexOf('approval.completed')).toBeGreaterThan(dispatched);
  });

  it('records a dispatch the cluster never answered without a status, and the story says so', async () => {
    const { approval } = await approvals.open(openInput());
    await approvals.vote(approval.id, { userId: 'U0BOB', decision: 'approve' });
    expect(await approvals.claimDispatch(approval.id, 'gw-1', 'hold')).toBe(true);
    const done = await approvals.completeDispatch(approval.id, {
      unanswered: { kind: 'not-sent', why: 'the requester disconnected before it was sent' },
      durationMs: 0,
    });

    expect(done.state).toBe('completed');
    expect(done.dispatch?.status).toBeUndefined();
    expect(runFact(runFactsOf(done), isoTime)).toBe(
      'approved but not sent: the requester disconnected before it was sent',
    );
    const entries = await readApproval(h.redis, auditKeys(h.prefix), approval.id);
    const completed = entries
      .map((entry) => JSON.parse(entry.line))
      .find((e) => e.type === 'approval.completed');
    expect(completed).toMatchObject({
      unanswered: 'not-sent',
      why: 'the requester disconnected before it was sent',
    });
    expect(completed).not.toHaveProperty('status');
  });

  it('records an expiry made by the sweeper, with no slackbot and no held connection', async () => {
    const { approval } = await approvals.open(openInput());
    h.clock.advance(31 * 60_000);
    await approvals.sweepExpired();
    expect((await approvals.get(approval.id))?.state).toBe('expired');
    expect(await story(approval.id)).toEqual(['approval.requested', 'approval.expired']);
  });

  it('records a grant that lapsed unused: approved, and never sent', async () => {
    const { approval } = await approvals.open(openInput());
    await approvals.leave(approval.id);
    await approvals.vote(approval.id, { userId: 'U0BOB', decision: 'approve' });
    h.clock.advance(11 * 60_000);
    await approvals.sweepExpired();
    expect((await approvals.get(approval.id))?.state).toBe('lapsed');
    const types = await story(approval.id);
    expect(types).toContain('grant.issued');
    expect(types[types.length - 1]).toBe('grant.expired');
    expect(types).not.toContain('dispatch');
  });
});
