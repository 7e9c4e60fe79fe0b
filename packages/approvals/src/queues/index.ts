import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { QueueNames } from '../keys.js';
import type { ChangeKind, PostJobData, RefreshJobData } from '../store/types.js';

export const POST_JOB = 'post';
export const REFRESH_JOB = 'refresh';

/**
 * 12 attempts, exponential backoff from 1 s: the 11 retries span 2^11 - 1 s, about 34 minutes, a
 * little longer than a request waits by default (30 min), instead of retrying for days.
 */
const RETRY = { attempts: 12, backoff: { type: 'exponential', delay: 1000 } } as const;

/** Producer side of the two queues the slackbot consumes. */
export class ApprovalQueues {
  readonly #approvals: Queue<PostJobData>;
  readonly #slack: Queue<RefreshJobData>;
  readonly #keepSeconds: number;

  constructor(connection: Redis, names: QueueNames, requestTtlMs: number, onError: (error: Error) => void) {
    this.#approvals = new Queue(names.approvals, { connection });
    this.#slack = new Queue(names.slack, { connection });
    // Without a listener BullMQ prints each connection error with its stack (QueueBase.emit).
    this.#approvals.on('error', onError);
    this.#slack.on('error', onError);
    // A completed post job is kept while its approval can still be joined, so re-adding it (which
    // `open` does on every join, to heal a crash between create and enqueue) never posts twice.
    this.#keepSeconds = Math.ceil(requestTtlMs / 1000) + 3600;
  }

  /** Enqueue the Slack post; idempotent per approval id. */
  async post(id: string): Promise<void> {
    await this.#approvals.add(
      POST_JOB,
      { id },
      {
        jobId: id,
        ...RETRY,
        removeOnComplete: { age: this.#keepSeconds },
        // A post that failed every attempt is dropped, so the next join can try again.
        removeOnFail: true,
      },
    );
  }

  /**
   * Enqueue a message refresh. Deduplicated per approval: while one is waiting, more are dropped
   * (the worker renders the current state anyway); while one runs, the last is kept and runs after.
   */
  async refresh(id: string, revision: number, change: ChangeKind): Promise<void> {
    await this.#slack.add(
      REFRESH_JOB,
      { id, revision, change },
      {
        deduplication: { id, keepLastIfActive: true },
        ...RETRY,
        removeOnComplete: true,
        removeOnFail: { count: 1000 },
      },
    );
  }

  async close(): Promise<void> {
    await Promise.all([this.#approvals.close(), this.#slack.close()]);
  }
}
