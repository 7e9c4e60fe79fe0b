import { describe, expect, it } from 'vitest';
import type { ApprovalApprovedEvent, AuditEvent, StoredEvent } from '../events.js';
import { policyStats, policyStatsBuilder } from './index.js';

const T0 = Date.UTC(2026, 10, 23, 9, 0, 0);
const at = (ms: number) => new Date(T0 + ms).toISOString();

/** Chain fields do not matter to the statistics; each event gets plausible ones. */
function stored(events: readonly (AuditEvent & { time: string })[]): StoredEvent[] {
  return events.map((event, index) => ({
    ...event,
    seq: index + 1,
    prevHash: '0'.repeat(64),
    hash: '1'.repeat(64),
  }));
}

function requested(approvalId: string, rule: string, ms: number): AuditEvent & { time: string } {
  return {
    type: 'approval.requested',
    approvalId,
    agent: 'agent-oncall',
    cluster: 'prod',
    command: `kubectl delete pod ${approvalId}`,
    rule,
    reason: 'needs a human',
    group: 'sre',
    approvalsNeeded: 1,
    expiresAt: at(ms + 600_000),
    time: at(ms),
  };
}

const approved = (
  approvalId: string,
  name: string,
  ms: number,
): ApprovalApprovedEvent & { time: string } => ({
  type: 'approval.approved',
  approvalId,
  approvers: [{ id: `U0${name.toUpperCase()}`, name }],
  time: at(ms),
});

describe('policyStats', () => {
  it('per rule: held, approved, denied, expired, median to decide, share approved within 10 s, approvers', () => {
    const stats = policyStats(
      stored([
        requested('a1', 'prod-delete', 0),
        approved('a1', 'bob', 4_000),
        requested('a2', 'prod-delete', 1_000),
        approved('a2', 'carol', 61_000),
        requested('a3', 'prod-delete', 2_000),
        { type: 'approval.denied', approvalId: 'a3', by: { id: 'U0BOB' }, reason: 'no', time: at(22_000) },
        requested('a4', 'prod-delete', 3_000),
        { type: 'approval.expired', approvalId: 'a4', time: at(603_000) },
      ]),
    );
    expect(stats.rules).toEqual([
      {
        rule: 'prod-delete',
        held: 4,
        approved: 2,
        denied: 1,
        expired: 1,
        // decided: 4 s, 20 s, 60 s (the expiry is no decision)
        medianDecideMs: 20_000,
        approvedQuickly: 0.5,
        approvers: 2,
        alwaysApproved: false,
      },
    ]);
  });

  it('flags a rule approved every time (from 5 holds) and an approver who approves within seconds (from 3)', () => {
    const events = [0, 1, 2, 3, 4].flatMap((i) => [
      requested(`r${i}`, 'namespace-delete', i * 100_000),
      approved(`r${i}`, i < 4 ? 'bob' : 'carol', i * 100_000 + (i < 3 ? 2_000 : 30_000)),
    ]);
    const stats = policyStats(stored(events));
    expect(stats.rules[0]).toMatchObject({
      rule: 'namespace-delete',
      held: 5,
      approved: 5,
      alwaysApproved: true,
    });
    expect(stats.approvers).toEqual([
      { approver: 'bob', approvals: 4, medianMs: 2_000, quickShare: 0.75, rubberStamp: true },
      { approver: 'carol', approvals: 1, medianMs: 30_000, quickShare: 0, rubberStamp: false },
    ]);
    // Four of four approved is not yet a pattern.
    expect(policyStats(stored(events.slice(0, 8))).rules[0]).toMatchObject({
      held: 4,
      alwaysApproved: false,
    });
  });

  it('counts approvals requested since the start, with their later outcome; the first outcome stands', () => {
    const stats = policyStats(
      stored([
        requested('old', 'prod-delete', 0),
        requested('new', 'prod-delete', 60_000),
        approved('old', 'bob', 61_000),
        { ...approved('new', 'bob', 90_000), decidedAt: at(65_000) },
        { type: 'approval.expired', approvalId: 'new', time: at(700_000) },
        approved('never-requested', 'bob', 70_000),
      ]),
      T0 + 60_000,
    );
    expect(stats.rules).toEqual([
      expect.objectContaining({
        rule: 'prod-delete',
        held: 1,
        approved: 1,
        expired: 0,
        medianDecideMs: 5_000,
      }),
    ]);
    expect(stats.approvers).toEqual([
      expect.objectContaining({ approver: 'bob', approvals: 1, medianMs: 5_000 }),
    ]);
  });

  it('orders rules by holds, then name; nothing held is no rules and no approvers', () => {
    const stats = policyStats(
      stored([
        requested('b', 'b-rule', 0),
        requested('a', 'a-rule', 0),
        requested('c', 'c-rule', 0),
        requested('c2', 'c-rule', 0),
      ]),
    );
    expect(stats.rules.map((r) => [r.rule, r.held, r.medianDecideMs])).toEqual([
      ['c-rule', 2, undefined],
      ['a-rule', 1, undefined],
      ['b-rule', 1, undefined],
    ]);
    expect(policyStats([])).toEqual({ rules: [], approvers: [] });
  });

  it('fed one event at a time gives the same as the whole list', () => {
    const events = stored([
      requested('a1', 'x', 0),
      approved('a1', 'bob', 3_000),
      requested('a2', 'y', 5_000),
    ]);
    const builder = policyStatsBuilder();
    for (const event of events) builder.add(event);
    expect(builder.result()).toEqual(policyStats(events));
  });
});
