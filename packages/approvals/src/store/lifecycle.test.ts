import {
  type AuditLog,
  auditKeys,
  createAuditLog,
  formatStory,
  readApproval,
  runFactsOfEvents,
  type StoredEvent,
  verifyChain,
} from '@gatehouse/audit';
import { isoTime, runFact, type Unanswered } from '@gatehouse/lifecycle';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runFactsOf } from '../facts.js';
import type { ApprovalState } from '../model.js';
import { type Harness, harness, openInput, REDIS_URL } from '../test-support/index.js';
import type { Approvals } from './index.js';

/**
 * The whole lifecycle, two replicas, real Redis: random interleavings of open (a join, a requester
 * back), votes (counted, and refused for each reason), a held connection leaving, time passing, the
 * sweeper, the held dispatch, the agent's retry on a grant, the answer, a stale target. After every
 * step three readings must agree with a reference model of the documented rules and with each other:
 * what Redis holds, the audit story (drained from the outbox into a chain that verifies, in
 * transition order), and the words every surface renders through the one projection (`runFact`).
 * Nothing may be shown or recorded as sent before the cluster's answer is recorded.
 *
 * A failure prints fast-check's seed and path; `LIFECYCLE_SEED=<seed>` replays that run.
 */
const MINUTE = 60_000;
const REQUEST_TTL = 30 * MINUTE;
const GRANT_TTL = 10 * MINUTE;
const OWNER = 'U0ALICE';
const NON_MEMBER = 'U0EVE';
const AGENT = 'agent-oncall';
const STALE_REASON = 'namespace payments-staging was recreated after it was approved; nothing was sent';

type Replica = 0 | 1;
type Op =
  | { kind: 'open'; by: Replica }
  | { kind: 'leave'; by: Replica }
  | { kind: 'vote'; by: Replica; user: string; decision: 'approve' | 'deny' }
  | { kind: 'advance'; ms: number }
  | { kind: 'sweep'; by: Replica }
  | { kind: 'hold'; by: Replica }
  | { kind: 'grant'; by: Replica }
  | { kind: 'complete'; by: Replica; answer: number | Unanswered }
  | { kind: 'stale' };

const replica = fc.constantFrom<Replica>(0, 1);
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('open' as const), by: replica }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('leave' as const), by: replica }) },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('vote' as const),
      by: replica,
      user: fc.constantFrom(OWNER, NON_MEMBER, 'U0BOB', 'U0DAVE'),
      decision: fc.oneof(
        { weight: 5, arbitrary: fc.constant('approve' as const) },
        { weight: 1, arbitrary: fc.constant('deny' as const) },
      ),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('advance' as const),
      // Past the grant's end, past the request's end.
      ms: fc.constantFrom(MINUTE, 11 * MINUTE, 31 * MINUTE),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('sweep' as const), by: replica }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('hold' as const), by: replica }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('grant' as const), by: replica }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('complete' as const),
      by: replica,
      // The cluster's status, or none: as the gateway completes a dispatch that got no answer (hold/).
      answer: fc.constantFrom<number | Unanswered>(
        200,
        404,
        500,
        { kind: 'not-sent', why: 'the requester disconnected before it was sent' },
        { kind: 'no-answer', why: 'the cluster could not be reached or failed mid-request' },
      ),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'stale' as const }) },
);

/** One approval as the documented rules say it stands. */
interface Expected {
  readonly id: string;
  readonly expiresAt: number;
  state: ApprovalState;
  holders: number;
  voters: Set<string>;
  approvals: number;
  requesterGoneAt?: number;
  grantExpiresAt?: number;
  lapsedAt?: number;
  dispatchAt?: number;
  dispatchHolder?: string;
  status?: number;
  unanswered?: Unanswered;
}

const HOLDERS = ['gw-a', 'gw-b'] as const;

class Model {
  readonly approvals: Expected[] = [];
  /** Every transition's event, `type[:outcome] id`, in the order the transitions happened. */
  readonly events: string[] = [];

  constructor(readonly needed: number) {}

  get current(): Expected | undefined {
    return this.approvals[this.approvals.length - 1];
  }

  record(approval: Expected, type: string): void {
    this.events.push(`${type} ${approval.id}`);
  }
}

/** Words that say the request reached the cluster (not "not sent", "never sent", "before it was sent"). */
const SAYS_SENT = /(?<!not |never |nothing was |before it was )\bsent\b|\banswered\b/;

describe('the approval lifecycle over two replicas', () => {
  it('keeps Redis, the audit story and every rendered text in agreement, step by step', async () => {
    const seed = process.env.LIFECYCLE_SEED;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 2 }),
        fc.array(op, { minLength: 4, maxLength: 30, size: 'max' }),
        async (needed, ops) => {
          const run = await startRun();
          try {
            const model = new Model(needed);
            await step(run, model, { kind: 'open', by: 0 });
            for (const next of ops) await step(run, model, next);
          } finally {
            await run.close();
          }
        },
      ),
      { numRuns: 40, ...(seed === undefined ? {} : { seed: Number(seed) }) },
    );
  });
});

interface Run {
  readonly h: Harness;
  readonly replicas: readonly [Approvals, Approvals];
  readonly audits: readonly AuditLog[];
  close(): Promise<void>;
}

/** Two stores on one fresh prefix, each with its own audit log, as two processes would have. */
async function startRun(): Promise<Run> {
  const h = harness({ requestTtlMs: REQUEST_TTL, grantTtlMs: GRANT_TTL });
  const audits = [0, 1].map(() => createAuditLog({ redis: REDIS_URL, prefix: h.prefix }));
  await h.approvals.close();
  const replicas = [h.replica({ audit: audits[0] }), h.replica({ audit: audits[1] })] as const;
  return {
    h,
    replicas,
    audits,
    async close() {
      await Promise.all(audits.map((audit) => audit.close()));
      await h.cleanup();
    },
  };
}

async function step(run: Run, model: Model, next: Op): Promise<void> {
  const { h } = run;
  const now = h.clock.now();
  const current = model.current;
  switch (next.kind) {
    case 'open': {
      const { approval, joined } = await run.replicas[next.by].open(
        openInput({ approvalsNeeded: model.needed, owners: [OWNER] }),
      );
      if (current?.state === 'pending' && now < current.expiresAt) {
        expect({ id: approval.id, joined }).toEqual({ id: current.id, joined: true });
        model.record(current, 'approval.joined');
        if (++current.holders === 1) {
          delete current.requesterGoneAt;
          model.record(current, 'requester.back');
        }
      } else {
        expect(joined).toBe(false);
        const created: Expected = {
          id: approval.id,
          expiresAt: now + REQUEST_TTL,
          state: 'pending',
          holders: 1,
          voters: new Set(),
          approvals: 0,
        };
        model.approvals.push(created);
        model.record(created, 'approval.requested');
      }
      break;
    }
    case 'leave': {
      // A gateway leaves only a connection it holds.
      if (current === undefined || current.holders === 0) return;
      await run.replicas[next.by].leave(current.id);
      if (--current.holders === 0 && (current.state === 'pending' || current.state === 'approved')) {
        current.requesterGoneAt = now;
        model.record(current, 'requester.disconnected');
        if (current.state === 'approved') model.record(current, 'grant.issued');
      }
      break;
    }
    case 'vote': {
      if (current === undefined) return;
      const result = await run.replicas[next.by].vote(current.id, {
        userId: next.user,
        decision: next.decision,
        ...(next.user === NON_MEMBER && { refusal: 'not-in-group' }),
      });
      expect(result.outcome).toBe(expectVote(model, current, next, now));
      break;
    }
    case 'advance':
      h.clock.advance(next.ms);
      break;
    case 'sweep': {
      await run.replicas[next.by].sweepExpired();
      // The sweeper takes expiries, then grants, each in index order (score, then member).
      const due = (pick: (a: Expected) => number | undefined) =>
        model.approvals
          .filter((a) => (pick(a) ?? Number.POSITIVE_INFINITY) <= now)
          .sort((a, b) => pick(a)! - pick(b)! || (a.id < b.id ? -1 : 1));
      for (const approval of due((a) => (a.state === 'pending' ? a.expiresAt : undefined))) {
        approval.state = 'expired';
        model.record(approval, 'approval.expired');
      }
      for (const approval of due((a) => (a.state === 'approved' ? a.grantExpiresAt : undefined))) {
        approval.state = 'lapsed';
        approval.lapsedAt = now;
        model.record(approval, 'grant.expired');
      }
      break;
    }
    case 'hold':
    case 'grant': {
      // The holding gateway claims only while it holds a connection; the retry may come any time.
      if (current === undefined || (next.kind === 'hold' && current.holders === 0)) return;
      const holder = HOLDERS[next.by];
      const claimed =
        next.kind === 'hold'
          ? await run.replicas[next.by].claimDispatch(current.id, holder, 'hold')
          : (await run.replicas[next.by].claimGrant(
              AGENT,
              (await fingerprintOf(run, current)) ?? '',
              holder,
            )) !== undefined;
      const claimable = current.state === 'approved' && now < (current.grantExpiresAt ?? 0);
      expect(claimed).toBe(claimable);
      if (claimable) {
        current.state = 'dispatched';
        current.dispatchAt = now;
        current.dispatchHolder = holder;
        model.record(current, 'dispatch');
        if (next.kind === 'grant') model.record(current, 'grant.used');
      }
      break;
    }
    case 'complete': {
      if (current === undefined) return;
      const completing = run.replicas[next.by].completeDispatch(
        current.id,
        typeof next.answer === 'number'
          ? { status: next.answer, durationMs: 3 }
          : { unanswered: next.answer, durationMs: 3 },
      );
      if (current.state !== 'dispatched') {
        await expect(completing).rejects.toMatchObject({ code: 'APPROVALS_INVALID_TRANSITION' });
        break;
      }
      await completing;
      current.state = 'completed';
      if (typeof next.answer === 'number') current.status = next.answer;
      else current.unanswered = next.answer;
      model.record(current, 'approval.completed');
      break;
    }
    case 'stale': {
      // Only the replica that claimed the dispatch finds the target changed, before it sends anything.
      if (current?.state !== 'dispatched' || current.dispatchHolder === undefined) return;
      const by = HOLDERS.indexOf(current.dispatchHolder as (typeof HOLDERS)[number]) as Replica;
      await run.replicas[by].markStale(current.id, current.dispatchHolder, STALE_REASON);
      current.state = 'stale';
      model.record(current, 'approval.stale');
      break;
    }
  }
  await agree(run, model);
}

/** The vote script's rules, in its order; records the events the model expects. */
function expectVote(model: Model, a: Expected, vote: Extract<Op, { kind: 'vote' }>, now: number): string {
  const refused = (outcome: string) => {
    model.record(a, 'vote:refused');
    return outcome;
  };
  if (a.state === 'expired') return refused('expired');
  if (a.state !== 'pending') return refused('already-decided');
  if (now >= a.expiresAt) {
    a.state = 'expired';
    model.record(a, 'approval.expired');
    return refused('expired');
  }
  if (vote.user === NON_MEMBER) return refused('refused');
  if (vote.user === OWNER) return refused('refused-owner');
  if (a.voters.has(vote.user)) return refused('duplicate');
  a.voters.add(vote.user);
  model.record(a, 'vote:accepted');
  if (vote.decision === 'deny') {
    a.state = 'denied';
    model.record(a, 'approval.denied');
    return 'denied';
  }
  if (++a.approvals < model.needed) return 'recorded';
  a.state = 'approved';
  a.grantExpiresAt = now + GRANT_TTL;
  model.record(a, 'approval.approved');
  if (a.holders === 0) model.record(a, 'grant.issued');
  return 'approved';
}

async function fingerprintOf(run: Run, a: Expected): Promise<string | undefined> {
  return (await run.replicas[0].get(a.id))?.fingerprint;
}

/** Redis, the audit story and the rendered words agree with the model and with each other. */
async function agree(run: Run, model: Model): Promise<void> {
  const { h } = run;
  const keys = auditKeys(h.prefix);
  // Every change drains the outbox before it returns: nothing is left behind.
  expect(await h.redis.llen(keys.outbox)).toBe(0);

  const lines = (await h.redis.xrange(keys.log, '-', '+')).map(
    ([, fields]) => fields[fields.indexOf('e') + 1]!,
  );
  const [seq, hash] = await h.redis.hmget(keys.head, 'seq', 'hash');
  const verified = await verifyChain(lines, { seq: Number(seq), hash: hash ?? '' });
  expect(verified).toMatchObject({ ok: true, count: model.events.length });
  const chain = lines.map((line) => JSON.parse(line) as StoredEvent);
  // Chain order is transition order, across both replicas.
  expect(chain.map(label)).toEqual(model.events);

  for (const expected of model.approvals) {
    const stored = await run.replicas[1].get(expected.id);
    expect(stored).toMatchObject({
      state: expected.state,
      holders: expected.holders,
      requesterGoneAt: expected.requesterGoneAt,
      lapsedAt: expected.lapsedAt,
      ...(expected.grantExpiresAt !== undefined && { grantExpiresAt: expected.grantExpiresAt }),
    });
    expect(stored?.dispatch?.at).toBe(expected.dispatchAt);
    expect(stored?.dispatch?.status).toBe(expected.status);
    expect(stored?.dispatch?.unanswered).toEqual(expected.unanswered);

    const story = (await readApproval(h.redis, keys, expected.id)).map(
      (entry) => JSON.parse(entry.line) as StoredEvent,
    );
    expect(story.map(label)).toEqual(model.events.filter((event) => event.endsWith(` ${expected.id}`)));

    // The words from Redis (Slack message, DM, reply, kubectl) and from the audit story alone
    // (`gatehouse-audit show`, its Outcome line) are the same words.
    const fromRedis = runFact(runFactsOf(stored!), isoTime);
    expect(runFact(runFactsOfEvents(story), isoTime)).toBe(fromRedis);
    const shown = formatStory(expected.id, story);
    const outcome = shown.slice(shown.lastIndexOf('Outcome: '));
    expect(outcome.trimEnd().endsWith(fromRedis ?? 'still pending')).toBe(true);
    if (expected.status === undefined) {
      for (const said of [fromRedis ?? '', ...shown.split('\n')]) expect(said).not.toMatch(SAYS_SENT);
    }
  }
}

function label(event: StoredEvent): string {
  const outcome = event.type === 'vote' ? `:${event.outcome}` : '';
  return `${event.type}${outcome} ${'approvalId' in event ? event.approvalId : ''}`;
}
