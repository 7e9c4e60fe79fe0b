import type { PolicyStatsRead } from '@gatehouse/audit';
import type { WeeklySummaryConfig } from '@gatehouse/config';
import { type Job, Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { RenderedMessage } from '../render/approval.js';
import { renderSummary } from '../render/summary.js';

/** The summary covers this much of the audit record, whatever the schedule. */
export const SUMMARY_WINDOW_MS = 7 * 24 * 3600 * 1000;

/** One scheduler per deployment: every replica registers the same id, so there is one next job. */
export const SUMMARY_SCHEDULER_ID = 'weekly-summary';
export const SUMMARY_JOB = 'weekly-summary';

/**
 * The slackbot's own queue, named after the key prefix like the approvals queues, so its BullMQ keys
 * are `bull:<prefix>-summary:…` (and a test's prefix cleanup removes them).
 */
export const summaryQueueName = (prefix: string) => `${prefix}-summary`;

/** A failed post is retried for about 34 minutes (11 retries from 1 s, doubling), well within a period. */
const RETRY = { attempts: 12, backoff: { type: 'exponential', delay: 1000 } } as const;

export interface WeeklySummaryOptions {
  /** A BullMQ connection (`maxRetriesPerRequest: null`). */
  readonly connection: Redis;
  readonly prefix: string;
  /** Absent: the scheduler is removed, so turning the summary off in the config stops it. */
  readonly schedule: WeeklySummaryConfig | undefined;
  /** The statistics of approvals requested at or after `sinceMs` (readPolicyStats over the audit stream). */
  readonly stats: (sinceMs: number) => Promise<PolicyStatsRead>;
  /** Posts to the approver channel. */
  readonly post: (message: RenderedMessage) => Promise<void>;
  /** Epoch milliseconds: the end of the window. */
  readonly now: () => number;
  /** A failed attempt (retried with backoff). */
  readonly onFailed: (error: Error, attempt: number | undefined) => void;
  /** Gets the queue and worker to report their connection errors. */
  readonly watch: (emitter: Queue | Worker, source: string) => void;
}

export interface WeeklySummary {
  close(): Promise<void>;
}

/**
 * Registers (or removes) the summary's BullMQ job scheduler and consumes its jobs. The scheduler
 * makes one job per period, id `repeat:<scheduler>:<time>`, each taken by one worker; a replica
 * that finds it with another schedule upserts it, which replaces the next job rather than adding
 * one. However many replicas run, one of them posts, once per period.
 */
export async function startWeeklySummary(options: WeeklySummaryOptions): Promise<WeeklySummary> {
  const name = summaryQueueName(options.prefix);
  const queue = new Queue(name, { connection: options.connection });
  options.watch(queue, `queue ${name}`);
  if (!options.schedule) {
    await queue.removeJobScheduler(SUMMARY_SCHEDULER_ID);
    return { close: () => queue.close() };
  }
  const { cron, timezone } = options.schedule;
  const current = await queue.getJobScheduler(SUMMARY_SCHEDULER_ID);
  // Upserting also replaces a job that is due but not yet taken (bullmq `addJobScheduler` removes it
  // from the wait list and schedules the next period), so a replica started while every worker was
  // down at 09:00 on Monday would drop that week's summary. Unchanged, the scheduler is left alone.
  if (current?.pattern !== cron || current?.tz !== timezone) {
    await queue.upsertJobScheduler(
      SUMMARY_SCHEDULER_ID,
      { pattern: cron, tz: timezone },
      { name: SUMMARY_JOB, opts: { ...RETRY, removeOnComplete: { count: 10 }, removeOnFail: { count: 10 } } },
    );
  }
  const worker = new Worker(name, (job) => postSummary(job, options), {
    connection: options.connection,
    concurrency: 1,
  });
  worker.on('failed', (job, error) => options.onFailed(error, job?.attemptsMade));
  options.watch(worker, `worker of ${name}`);
  return {
    async close() {
      await Promise.all([worker.close(), queue.close()]);
    },
  };
}

async function postSummary(job: Job, options: WeeklySummaryOptions): Promise<{ rules: number }> {
  if (job.name !== SUMMARY_JOB) throw new Error(`unknown job ${job.name} on ${job.queueName}`);
  const toMs = options.now();
  const fromMs = toMs - SUMMARY_WINDOW_MS;
  const read = await options.stats(fromMs);
  await options.post(renderSummary(read, { fromMs, toMs }));
  return { rules: read.stats.rules.length };
}
