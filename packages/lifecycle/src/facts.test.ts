import { describe, expect, it } from 'vitest';
import { isoTime, type RunFacts, runFact } from './facts.js';

const T = Date.parse('2026-12-02T10:00:00.000Z');
const LATER = Date.parse('2026-12-02T10:15:00.000Z');
const fact = (facts: RunFacts) => runFact(facts, isoTime);

describe('runFact', () => {
  it('says nothing while a pending request is held, and the disconnect once it is not', () => {
    expect(fact({ state: 'pending' })).toBeUndefined();
    expect(fact({ state: 'pending', requesterGoneAt: T })).toBe(
      'the requester disconnected at 2026-12-02T10:00:00.000Z (approving creates a one-time grant)',
    );
  });

  it('says an approval without a requester is a grant that runs only on the retry', () => {
    expect(fact({ state: 'approved', requesterGoneAt: T, grantExpiresAt: LATER })).toBe(
      'approved — the agent disconnected, so it runs only if the agent re-runs the same command before 2026-12-02T10:15:00.000Z',
    );
    expect(fact({ state: 'approved', grantExpiresAt: LATER })).toBe(
      'approved — the gateway holding the request sends it to the cluster next',
    );
  });

  it('says a lapsed grant never ran', () => {
    expect(fact({ state: 'lapsed', grantExpiresAt: T, lapsedAt: LATER })).toBe(
      'approved but never ran: the grant expired unused at 2026-12-02T10:15:00.000Z',
    );
  });

  it('never says sent without the cluster answer', () => {
    const claimed = fact({ state: 'dispatched', claimedAt: T, via: 'grant' });
    expect(claimed).toBe(
      "approved — claimed for dispatch at 2026-12-02T10:00:00.000Z by the agent's retry; no answer from the cluster is recorded yet",
    );
    expect(fact({ state: 'completed', claimedAt: T, via: 'hold' })).not.toMatch(/sent/);
    expect(fact({ state: 'completed', claimedAt: T, via: 'hold', status: 200 })).toBe(
      'sent to the cluster at 2026-12-02T10:00:00.000Z, answered 200',
    );
  });

  it('never gives a made-up status for a dispatch the cluster did not answer', () => {
    const gone = { kind: 'not-sent' as const, why: 'the requester disconnected before it was sent' };
    expect(fact({ state: 'completed', claimedAt: T, unanswered: gone })).toBe(
      'approved but not sent: the requester disconnected before it was sent',
    );
    const lost = { kind: 'no-answer' as const, why: 'the cluster could not be reached' };
    const unknown = fact({ state: 'completed', claimedAt: T, via: 'hold', unanswered: lost });
    expect(unknown).toContain('no answer from the cluster was recorded (the cluster could not be reached)');
    expect(unknown).toContain('whether it ran is unknown');
    expect(unknown).not.toMatch(/sent to the cluster|answered \d/);
  });

  it('says why a stale one was not sent, and that denied and expired ones sent nothing', () => {
    expect(fact({ state: 'stale', claimedAt: T, staleReason: 'namespace x was recreated' })).toBe(
      'approved but not sent: namespace x was recreated',
    );
    expect(fact({ state: 'denied', decidedAt: T })).toBe('denied; nothing was sent to the cluster');
    expect(fact({ state: 'expired', decidedAt: T })).toBe(
      'expired at 2026-12-02T10:00:00.000Z without a decision; nothing was sent to the cluster',
    );
  });

  it('formats times the way the surface asks', () => {
    expect(fact({ state: 'lapsed', lapsedAt: T })).toContain('2026-12-02T10:00:00.000Z');
    expect(runFact({ state: 'lapsed', lapsedAt: T }, (ms) => `<t ${ms}>`)).toContain(`<t ${T}>`);
  });
});
