import { type Job, Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { QueueNames } from '../keys.js';
import type { ApprovalState } from '../model.js';
import type { ChangeKind } from '../store/types.js';

/**
 * The one contract between the approvals store (producer) and the slackbot (consumer): the four
 * jobs, their data, their retries, and the consumer helper. Nothing else adds jobs to these queues.
 */

/** Approvals queue: post one Slack message for a new approval; job id = approval id (posted once). */
export const POST_JOB = 'post';
/** Slack queue: re-render the message from the current state; deduplicated per approval. */
export const REFRESH_JOB = 'refresh';
/** Slack queue: render an agent's burst message (its coalesced approvals) from Redis; deduplicated per agent. */
export const BURST_JOB = 'burst';
/** Slack queue: tell the requesting agent's owners (and, for an approval that never ran — lapsed or stale — its approvers) where it ended. */
export const NOTIFY_JOB = 'notify';

export interface PostJobData {
  readonly id: string;
}

export interface RefreshJobData {
  readonly id: string;
  readonly revision: number;
  readonly change: ChangeKind;
}

export interface BurstJobData {
  readonly agent: string;
}

/** `state`: the outcome being told; one job per approval and outcome (lapsed or stale corrects an earlier "approved"). */
export interface NotifyJobData {
  readonly id: string;
  readonly state: ApprovalState;
}

/** The outcomes the owners are told of; a notify job is enqueued when an approval reaches one. */
export const NOTIFIED_STATES: ReadonlySet<ApprovalState> = new Set<ApprovalState>([
  'approved',
  'denied',
  'expired',
  'lapsed',
  'stale',
]);

/** The job id that makes "tell once per approval and outcome" hold across retries, replicas and restarts. */
export const notifyJobId = (approvalId: string, state: ApprovalState) => `notify-${approvalId}-${state}`;

/**
 * 12 attempts, exponential backoff from 1 s: the 11 retries span 2^11 - 1 s, about 34 minutes, a
 * little longer than a request waits by default (30 min), instead of retrying for days.
 */
const RETRY = { attempts: 12, backoff: { type: 'exponential', delay: 1000 } } as const;

const WEEK_SECONDS = 7 * 24 * 3600;

/** Producer side of the two queues the slackbot consumes. */
export class ApprovalQueues {
  readonly #approvals: Queue<PostJobData>;
  readonly #slack: Queue<RefreshJobData | NotifyJobData | BurstJobData>;
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
    await this.#addPost(id, id);
  }

  /**
   * Enqueue the own message of a coalesced approval that was promoted (it is promoted once, so once
   * per approval); its first post job ran and found it coalesced, and is kept under the approval id.
   */
  async postPromoted(id: string): Promise<void> {
    await this.#addPost(id, `promoted-${id}`);
  }

  async #addPost(id: string, jobId: string): Promise<void> {
    await this.#approvals.add(
      POST_JOB,
      { id },
      {
        jobId,
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

  /**
   * Enqueue a render of the agent's burst message. Deduplicated per agent like a refresh, so one runs
   * at a time per agent (across replicas) and the last one queued while it runs runs after it.
   */
  async burst(agent: string): Promise<void> {
    await this.#slack.add(
      BURST_JOB,
      { agent },
      {
        deduplication: { id: `burst:${agent}`, keepLastIfActive: true },
        ...RETRY,
        removeOnComplete: true,
        removeOnFail: { count: 1000 },
      },
    );
  }

  /** Enqueue the owners' message for an outcome; a no-op after the first time (job id). */
  async notify(id: string, state: ApprovalState): Promise<void> {
    await this.#slack.add(
      NOTIFY_JOB,
      { id, state },
      {
        jobId: notifyJobId(id, state),
        ...RETRY,
        // Kept, so an outcome re-announced later (a retried transition) does not notify again.
        removeOnComplete: { age: WEEK_SECONDS },
        removeOnFail: { age: WEEK_SECONDS },
      },
    );
  }

  async close(): Promise<void> {
    await Promise.all([this.#approvals.close(), this.#slack.close()]);
  }
}

/** What the consumer does with each job; the return value is stored as the job's result. */
export interface JobHandlers {
  readonly post: (job: Job<PostJobData>) => Promise<unknown>;
  readonly refresh: (job: Job<RefreshJobData>) => Promise<unknown>;
  readonly notify: (job: Job<NotifyJobData>) => Promise<unknown>;
  readonly burst: (job: Job<BurstJobData>) => Promise<unknown>;
}

export interface ConsumerOptions {
  /** Jobs handled at once per queue. */
  readonly concurrency: number;
  /** A failed attempt (retried with backoff) and worker errors. */
  readonly onFailed: (
    error: Error,
    job: { queue: string; name?: string; id?: string; attempt?: number },
  ) => void;
  /** Gets each worker to listen for its errors (a lost connection is one outage line, not one per retry). */
  readonly watch: (worker: Worker, source: string) => void;
}

export interface Consumers {
  close(): Promise<void>;
}

/**
 * A job whose worker died (kill -9, node lost) is handed to another worker once its lock lapses.
 * BullMQ's 30 s lock plus 30 s stall check would leave an approval message unposted for up to a
 * minute; a live worker renews its lock every lockDuration / 2, so a shorter lock costs only a
 * little Redis traffic.
 */
const JOB_LOCKS = { lockDuration: 10_000, stalledInterval: 5_000 } as const;

/** The consumer side: one worker per queue, dispatching on the job name. */
export function startConsumers(
  connection: Redis,
  names: QueueNames,
  handlers: JobHandlers,
  options: ConsumerOptions,
): Consumers {
  const approvalsWorker = new Worker<PostJobData>(
    names.approvals,
    async (job) => {
      if (job.name !== POST_JOB) throw new Error(`unknown job ${job.name} on ${names.approvals}`);
      return handlers.post(job);
    },
    { connection, concurrency: options.concurrency, ...JOB_LOCKS },
  );
  const slackWorker = new Worker<RefreshJobData | NotifyJobData | BurstJobData>(
    names.slack,
    async (job) => {
      if (job.name === REFRESH_JOB) return handlers.refresh(job as Job<RefreshJobData>);
      if (job.name === NOTIFY_JOB) return handlers.notify(job as Job<NotifyJobData>);
      if (job.name === BURST_JOB) return handlers.burst(job as Job<BurstJobData>);
      throw new Error(`unknown job ${job.name} on ${names.slack}`);
    },
    { connection, concurrency: options.concurrency, ...JOB_LOCKS },
  );
  for (const worker of [approvalsWorker, slackWorker]) {
    worker.on('failed', (job, error) =>
      options.onFailed(error, {
        queue: worker.name,
        name: job?.name,
        id: job === undefined ? undefined : subjectOf(job.data),
        attempt: job?.attemptsMade,
      }),
    );
    options.watch(worker, `worker of ${worker.name}`);
  }
  return {
    async close() {
      await Promise.all([approvalsWorker.close(), slackWorker.close()]);
    },
  };
}

/** What a job is about, for its failure line: the approval, or the agent of a burst message. */
function subjectOf(data: PostJobData | RefreshJobData | NotifyJobData | BurstJobData): string {
  return 'id' in data ? data.id : `agent ${data.agent}`;
}
