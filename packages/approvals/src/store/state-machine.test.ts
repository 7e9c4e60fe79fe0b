import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApprovalState } from '../model.js';
import { type Harness, harness, openInput } from '../test-support/index.js';

/**
 * Random sequences of votes, clock moves, sweeps, dispatch claims, grant claims and completions,
 * checked step by step against a small reference model of the documented rules.
 */
const MINUTE = 60_000;
const REQUEST_TTL = 30 * MINUTE;
const GRANT_TTL = 10 * MINUTE;

type Op =
  | { kind: 'vote'; user: string; decision: 'approve' | 'deny' }
  | { kind: 'advance'; ms: number }
  | { kind: 'sweep' }
  | { kind: 'dispatch' }
  | { kind: 'grant'; agent: string }
  | { kind: 'complete' };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('vote' as const),
      user: fc.constantFrom('U0ALICE', 'U1', 'U2', 'U3'),
      decision: fc.constantFrom('approve' as const, 'approve' as const, 'approve' as const, 'deny' as const),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('advance' as const),
      ms: fc.constantFrom(MINUTE, 3 * MINUTE, 9 * MINUTE, 29 * MINUTE),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'sweep' as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'dispatch' as const }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('grant' as const),
      agent: fc.constantFrom('agent-oncall', 'agent-x'),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'complete' as const }) },
);

interface Model {
  state: ApprovalState;
  voters: Set<string>;
  approvals: number;
  needed: number;
  expiresAt: number;
  grantExpiresAt: number;
}

let h: Harness;
beforeAll(() => {
  h = harness({ requestTtlMs: REQUEST_TTL, grantTtlMs: GRANT_TTL });
});
afterAll(async () => {
  await h.cleanup();
});

describe('the approval state machine', () => {
  it('follows the reference model for random operation sequences', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 2 }),
        fc.array(op, { maxLength: 40 }),
        async (needed, ops) => {
          const agent = `agent-oncall`;
          // A distinct cluster per run keeps fingerprints (and so joins) apart.
          const { approval } = await h.approvals.open(
            openInput({ approvalsNeeded: needed, cluster: `c${run++}` }),
          );
          const m: Model = {
            state: 'pending',
            voters: new Set(),
            approvals: 0,
            needed,
            expiresAt: approval.expiresAt,
            grantExpiresAt: 0,
          };
          const now = (): number => h.clock.now();
          for (const step of ops) {
            switch (step.kind) {
              case 'vote': {
                const result = await h.approvals.vote(approval.id, {
                  userId: step.user,
                  decision: step.decision,
                });
                let expected: string;
                if (m.state === 'expired') expected = 'expired';
                else if (m.state !== 'pending') expected = 'already-decided';
                else if (now() >= m.expiresAt) {
                  m.state = 'expired';
                  expected = 'expired';
                } else if (step.user === 'U0ALICE') expected = 'refused-owner';
                else if (m.voters.has(step.user)) expected = 'duplicate';
                else {
                  m.voters.add(step.user);
                  if (step.decision === 'deny') {
                    m.state = 'denied';
                    expected = 'denied';
                  } else if (++m.approvals >= m.needed) {
                    m.state = 'approved';
                    m.grantExpiresAt = now() + GRANT_TTL;
                    expected = 'approved';
                  } else expected = 'recorded';
                }
                expect(result.outcome).toBe(expected);
                break;
              }
              case 'advance':
                h.clock.advance(step.ms);
                break;
              case 'sweep':
                await h.approvals.sweepExpired();
                if (m.state === 'pending' && now() >= m.expiresAt) m.state = 'expired';
                // An approval nobody claimed before its grant ran out lapses: approved, never sent.
                if (m.state === 'approved' && now() >= m.grantExpiresAt) m.state = 'lapsed';
                break;
              case 'dispatch':
              case 'grant': {
                const claimable = m.state === 'approved' && now() < m.grantExpiresAt;
                const claimed =
                  step.kind === 'dispatch'
                    ? await h.approvals.claimDispatch(approval.id, 'gw', 'hold')
                    : (await h.approvals.claimGrant(step.agent, approval.fingerprint, 'gw')) !== undefined;
                const expected = claimable && (step.kind === 'dispatch' || step.agent === agent);
                expect(claimed).toBe(expected);
                if (expected) m.state = 'dispatched';
                break;
              }
              case 'complete': {
                const completing = h.approvals.completeDispatch(approval.id, { status: 200, durationMs: 1 });
                if (m.state === 'dispatched') {
                  await completing;
                  m.state = 'completed';
                } else {
                  await expect(completing).rejects.toMatchObject({ code: 'APPROVALS_INVALID_TRANSITION' });
                }
                break;
              }
            }
            expect((await h.approvals.get(approval.id))?.state).toBe(m.state);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
