import { type AuditLog, createAuditLog } from '@gatehouse/audit';
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { blocksText, CHANNEL, Harness, REDIS_URL } from '../test-support/index.js';
import { SUMMARY_SCHEDULER_ID, summaryQueueName } from './index.js';

const DAY = 24 * 3600_000;
const MONDAYS_AT_NINE_IN_BERLIN = { cron: '0 9 * * 1', timezone: 'Europe/Berlin' };

let h: Harness;
let connection: Redis;
let queue: Queue;
let events: QueueEvents;
beforeEach(async () => {
  h = await new Harness({ weeklySummary: MONDAYS_AT_NINE_IN_BERLIN }).start();
  connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  queue = new Queue(summaryQueueName(h.prefix), { connection });
  events = new QueueEvents(summaryQueueName(h.prefix), { connection: { url: REDIS_URL } });
  await events.waitUntilReady();
});
afterEach(async () => {
  await events.close();
  await queue.close();
  connection.disconnect();
  await h.close();
});

/** Runs the scheduled job now rather than on Monday (the same job, on the bots' own workers); resolves with its result. */
async function runScheduledJob(): Promise<unknown> {
  const delayed = await queue.getDelayed();
  expect(delayed).toHaveLength(1);
  await delayed[0]!.promote();
  return delayed[0]!.waitUntilFinished(events);
}

/** One approval as the audit record holds it: requested at `clock.now`, decided `afterMs` later (the log's clock). */
async function recordHeld(
  audit: AuditLog,
  clock: { now: number },
  rule: string,
  afterMs: number,
  outcome: 'approve' | 'deny',
) {
  const approvalId = `apv-${rule}-${clock.now}`;
  await audit.record({
    type: 'approval.requested',
    approvalId,
    agent: 'agent-oncall',
    cluster: 'prod',
    command: 'kubectl delete namespace payments',
    rule,
    reason: 'needs an on-call approval',
    group: 'sre-oncall',
    approvalsNeeded: 1,
    expiresAt: new Date(clock.now + 600_000).toISOString(),
  });
  clock.now += afterMs;
  await audit.record(
    outcome === 'approve'
      ? { type: 'approval.approved', approvalId, approvers: [{ id: 'U0BOB', name: 'bob' }] }
      : { type: 'approval.denied', approvalId, by: { id: 'U0CAROL', name: 'carol' }, reason: 'not now' },
  );
}

const summaries = () => h.slack.messages(CHANNEL);

describe('weekly summary', () => {
  it('registers one scheduler for Mondays at 09:00 in its zone, however many replicas start', async () => {
    await h.startReplica();
    expect(await queue.getJobSchedulersCount()).toBe(1);
    const scheduler = await queue.getJobScheduler(SUMMARY_SCHEDULER_ID);
    expect(scheduler).toMatchObject({ pattern: '0 9 * * 1', tz: 'Europe/Berlin' });
    const next = scheduler!.next!;
    const inBerlin = new Intl.DateTimeFormat('en-GB', {
      timeZone: 'Europe/Berlin',
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
    }).format(next);
    expect(inBerlin).toBe('Mon 09:00');
    expect((await queue.getDelayed()).map((job) => job.id)).toEqual([
      `repeat:${SUMMARY_SCHEDULER_ID}:${next}`,
    ]);
  });

  it('the scheduled job posts the last 7 days of the audit record to the approver channel, once', async () => {
    const clock = { now: Date.now() - 9 * DAY };
    const audit = createAuditLog({ redis: REDIS_URL, prefix: h.prefix, clock: () => clock.now });
    await recordHeld(audit, clock, 'old-rule', 1_000, 'approve'); // before the window
    clock.now = Date.now() - 2 * DAY;
    for (let i = 0; i < 5; i++) await recordHeld(audit, clock, 'namespace-delete', 2_000, 'approve');
    await recordHeld(audit, clock, 'prod-delete', 30_000, 'deny');
    await audit.close();
    await h.startReplica();

    expect(await runScheduledJob()).toEqual({ rules: 2 });
    // Two replicas consume the queue; the job ran on one of them.
    expect(summaries()).toHaveLength(1);
    const text = blocksText(summaries()[0]!.blocks);
    expect(summaries()[0]!.text).toBe('Gatehouse weekly summary: 6 requests held under 2 rules');
    expect(text).toContain('*6 requests held under 2 rules*');
    expect(text).toContain(
      '• `namespace-delete` held 5: 5 approved, 0 denied, 0 expired · median to decide 2.0s · 100% of approvals within 10 s',
    );
    expect(text).toContain(
      '• `prod-delete` held 1: 0 approved, 1 denied, 0 expired · median to decide 30.0s · 0% of approvals within 10 s',
    );
    expect(text).not.toContain('old-rule');
    expect(text).toContain('*Approved every time* — candidates to relax');
    expect(text).toContain('• `namespace-delete` (5 of 5)');
    expect(text).toContain('• bob: 5 of 5 approvals within 10 s, median 2.0s');
    // The scheduler has queued the next period's job.
    expect(await queue.getDelayed()).toHaveLength(1);
  });

  it('a summary that fell due while no slackbot ran is posted by the next one to start, and a new cron replaces the schedule', async () => {
    await h.stopBot();
    const [due] = await queue.getDelayed();
    await due!.promote(); // Monday 09:00 came while every replica was down
    await h.startBot();
    // Still due (waiting, running or done), not put off to a later time nor replaced.
    expect(['waiting', 'active', 'completed']).toContain(await queue.getJobState(due!.id!));
    expect(await due!.waitUntilFinished(events)).toEqual({ rules: 0 });
    expect(summaries()).toHaveLength(1);

    await h.stopBot();
    h.weeklySummary = { cron: '0 8 * * 5', timezone: 'UTC' };
    await h.startBot();
    expect(await queue.getJobSchedulersCount()).toBe(1);
    const scheduler = await queue.getJobScheduler(SUMMARY_SCHEDULER_ID);
    expect(scheduler).toMatchObject({ pattern: '0 8 * * 5', tz: 'UTC' });
    expect(new Date(scheduler!.next!).toISOString()).toMatch(/T08:00:00\.000Z$/);
    expect(new Date(scheduler!.next!).getUTCDay()).toBe(5);
    expect((await queue.getDelayed()).map((job) => job.id)).toEqual([
      `repeat:${SUMMARY_SCHEDULER_ID}:${scheduler!.next}`,
    ]);
  });

  it('an empty week is one short line', async () => {
    expect(await runScheduledJob()).toEqual({ rules: 0 });
    expect(summaries()).toHaveLength(1);
    expect(blocksText(summaries()[0]!.blocks)).toContain(
      'No requests were held for approval in the last 7 days.',
    );
  });

  it('without slack.weeklySummary the scheduler and its next job are removed, so turning it off works', async () => {
    expect(await queue.getJobScheduler(SUMMARY_SCHEDULER_ID)).toMatchObject({ pattern: '0 9 * * 1' });
    await h.stopBot();
    h.weeklySummary = undefined;
    await h.startBot();
    expect(await queue.getJobScheduler(SUMMARY_SCHEDULER_ID)).toBeUndefined();
    expect(await queue.getJobSchedulersCount()).toBe(0);
    expect(await queue.getDelayed()).toEqual([]);
  });
});
