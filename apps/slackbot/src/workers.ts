import { POST_JOB, type PostJobData, REFRESH_JOB, type RefreshJobData } from '@gatehouse/approvals';
import type { RedisHealth } from '@gatehouse/redis';
import { type Job, Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { NOTIFY_JOB, type NotifyJobData, notifyJobId } from './notify/index.js';
import type { ApprovalsPort, Log } from './ports.js';
import type { PostJob, PostOutcome } from './post/index.js';
import type { RefreshOutcome } from './refresh/index.js';

const WEEK_SECONDS = 7 * 24 * 3600;

/**
 * A job whose worker died (kill -9, node lost) is handed to another worker once its lock lapses.
 * BullMQ's 30 s lock plus 30 s stall check would leave an approval message unposted for up to a
 * minute; a live worker renews its lock every lockDuration / 2, so a shorter lock costs only a
 * little Redis traffic.
 */
const JOB_LOCKS = { lockDuration: 10_000, stalledInterval: 5_000 } as const;

export interface WorkerHandlers {
  readonly post: (job: PostJob) => Promise<PostOutcome>;
  readonly refresh: (id: string) => Promise<RefreshOutcome>;
  readonly notify: (job: Job<NotifyJobData>) => Promise<number>;
}

export interface Workers {
  /** Enqueue the owners' DM for a decided approval; a no-op after the first time (job id). */
  notifyOnce(approvalId: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * The BullMQ consumers: `post` jobs on the approvals queue, `refresh` (and our own `notify`) jobs on
 * the slack queue. Attempts and backoff of post/refresh jobs are set by the producer (@gatehouse/approvals).
 */
export function startWorkers(
  connection: Redis,
  queueNames: ApprovalsPort['queueNames'],
  handlers: WorkerHandlers,
  options: {
    readonly concurrency: number;
    readonly log: Log;
    /** Gets the queues' and workers' errors: a lost connection is one outage line, not one per retry. */
    readonly redisHealth: Pick<RedisHealth, 'watch'>;
  },
): Workers {
  const { log } = options;
  const slackQueue = new Queue(queueNames.slack, { connection });
  options.redisHealth.watch(slackQueue, `queue ${queueNames.slack}`);

  const approvalsWorker = new Worker<PostJobData>(
    queueNames.approvals,
    async (job) => {
      if (job.name !== POST_JOB) throw new Error(`unknown job ${job.name} on ${queueNames.approvals}`);
      return handlers.post(job);
    },
    { connection, concurrency: options.concurrency, ...JOB_LOCKS },
  );
  const slackWorker = new Worker<RefreshJobData | NotifyJobData>(
    queueNames.slack,
    async (job) => {
      if (job.name === REFRESH_JOB) return handlers.refresh(job.data.id);
      if (job.name === NOTIFY_JOB) return handlers.notify(job as Job<NotifyJobData>);
      throw new Error(`unknown job ${job.name} on ${queueNames.slack}`);
    },
    { connection, concurrency: options.concurrency, ...JOB_LOCKS },
  );
  for (const worker of [approvalsWorker, slackWorker]) {
    worker.on('failed', (job, error) =>
      log.warn(
        {
          err: error,
          queue: worker.name,
          job: job?.name,
          approvalId: job?.data.id,
          attempt: job?.attemptsMade,
        },
        'slack job failed; BullMQ retries it with backoff',
      ),
    );
    options.redisHealth.watch(worker, `worker of ${worker.name}`);
  }

  return {
    async notifyOnce(approvalId) {
      await slackQueue.add(
        NOTIFY_JOB,
        { id: approvalId },
        {
          jobId: notifyJobId(approvalId),
          attempts: 10,
          backoff: { type: 'exponential', delay: 1000 },
          // Kept, so later refreshes of the same decided approval do not notify again.
          removeOnComplete: { age: WEEK_SECONDS },
          removeOnFail: { age: WEEK_SECONDS },
        },
      );
    },
    async close() {
      await Promise.all([approvalsWorker.close(), slackWorker.close()]);
      await slackQueue.close();
    },
  };
}
