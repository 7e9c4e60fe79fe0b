import { randomUUID } from 'node:crypto';
import type { SlackUser } from '@gatehouse/audit';
import { confirmDurable, connectionEpoch, createRedisClient, reconnectDelay } from '@gatehouse/redis';
import type { Redis } from 'ioredis';
import { Bursts, type BurstView, type Placement, type PostForReviewResult } from '../burst/index.js';
import {
  asError,
  ClosedError,
  ContendedError,
  InvalidInputError,
  NotFoundError,
  ScriptFailure,
  scriptFailureToError,
} from '../errors.js';
import { type FingerprintInput, fingerprintOf, isConnectVerb } from '../fingerprint/index.js';
import { newApprovalId } from '../ids.js';
import {
  type Keys,
  keysFor,
  parsePresenceMember,
  pendingMember,
  presenceMember,
  type QueueNames,
  queueNamesFor,
} from '../keys.js';
import type { ApprovalPreview, ApprovalRequest, ApprovalState } from '../model.js';
import { ChangeFeed } from '../notify/index.js';
import { describePreview } from '../preview/index.js';
import { ApprovalQueues, NOTIFIED_STATES } from '../queues/index.js';
import { completeScript } from '../scripts/complete.js';
import { dispatchScript } from '../scripts/dispatch.js';
import { expireScript } from '../scripts/expire.js';
import { lapseScript } from '../scripts/lapse.js';
import { leaveScript } from '../scripts/leave.js';
import { OpenOutcome, openScript } from '../scripts/open.js';
import { presenceScript } from '../scripts/presence.js';
import { previewScript } from '../scripts/preview.js';
import { releaseScript } from '../scripts/release.js';
import { ScriptRunner } from '../scripts/run.js';
import { slackScript } from '../scripts/slack.js';
import { staleScript } from '../scripts/stale.js';
import { VoteOutcome, voteScript } from '../scripts/vote.js';
import { decodeApproval, encodeNew } from './codec.js';
import { type ResolvedOptions, resolveOptions } from './options.js';
import type {
  ApprovalChange,
  ApprovalsOptions,
  ChangeKind,
  CompleteInput,
  OpenInput,
  OpenResult,
  Page,
  PageInput,
  VoteInput,
  VoteResult,
  WaitOptions,
} from './types.js';
import { validateOpen, validatePage, validateVote } from './validate.js';
import { DecisionWait, type WaitStore } from './wait.js';
import { DecisionWaiters } from './waiters.js';

/** Attempts of the optimistic loops (open, claimGrant) before giving up with ContendedError. */
const MAX_ATTEMPTS = 8;
/** Ids the expiry sweeper handles per round trip. */
const SWEEP_BATCH = 200;

/** Connects to Redis and returns the approvals store. Options are checked before anything connects. */
export function createApprovals(options: ApprovalsOptions): Approvals {
  return new Approvals(resolveOptions(options), options.redis);
}

/** A script reply: `[code, ...rest]`. */
type Reply = [number, ...unknown[]];

export class Approvals {
  /** The BullMQ queues the slackbot consumes. */
  readonly queueNames: QueueNames;
  readonly #options: ResolvedOptions;
  readonly #keys: Keys;
  readonly #client: Redis;
  readonly #scripts: ScriptRunner;
  readonly #queues: ApprovalQueues;
  readonly #feed: ChangeFeed;
  readonly #waitStore: WaitStore;
  readonly #sweeper: NodeJS.Timeout | undefined;
  /** This store instance (one per process): the holder its presence leases name. */
  readonly #instance = randomUUID();
  /** The held connections this instance opened or joined and has not left, per approval. */
  readonly #held = new Map<string, number>();
  readonly #renewer: NodeJS.Timeout;
  readonly #bursts: Bursts;
  /** Message refreshes still being enqueued without the caller waiting (#refreshAfter); close() waits. */
  readonly #refreshing = new Set<Promise<void>>();
  #sweeping = false;
  #closed = false;

  constructor(options: ResolvedOptions, redis: ApprovalsOptions['redis']) {
    this.#options = options;
    this.#keys = keysFor(options.prefix);
    this.queueNames = queueNamesFor(options.prefix);
    // Connects now and keeps retrying: the store outlives Redis outages and failovers.
    this.#client = createRedisClient(redis, { lazyConnect: false, retryStrategy: reconnectDelay });
    // Without a listener ioredis prints every reconnect failure itself; route them to onError.
    this.#client.on('error', options.onError);
    this.#scripts = new ScriptRunner(this.#client);
    this.#queues = new ApprovalQueues(this.#client, this.queueNames, options.requestTtlMs, options.onError);
    this.#bursts = new Bursts({
      client: this.#client,
      scripts: this.#scripts,
      keys: this.#keys,
      queues: this.#queues,
      clock: options.clock,
      requestTtlMs: options.requestTtlMs,
      drain: () => this.#drain(),
    });
    this.#feed = new ChangeFeed(
      () => this.#client.duplicate().on('error', options.onError),
      this.#keys.events,
    );
    this.#waitStore = {
      waiters: new DecisionWaiters({
        onChange: (listener) => this.#feed.on(listener),
        readStates: async (ids) => {
          const pipeline = this.#client.pipeline();
          for (const id of ids) pipeline.hget(this.#keys.approval(id), 'state');
          const replies = (await pipeline.exec()) ?? [];
          return replies.map(([error, state]) => {
            if (error) throw error;
            return (state as string | null) ?? undefined;
          });
        },
        pollIntervalMs: options.pollIntervalMs,
        onError: options.onError,
      }),
      readState: (id) => this.#client.hget(this.#keys.approval(id), 'state'),
      read: (id) => this.get(id),
      onError: options.onError,
    };
    if (options.sweepIntervalMs > 0) {
      this.#sweeper = setInterval(() => void this.#sweepInBackground(), options.sweepIntervalMs);
      this.#sweeper.unref();
    }
    // Renewed three times a lease, so one late tick (a busy event loop) does not end it.
    this.#renewer = setInterval(() => void this.#renewInBackground(), options.presenceLeaseMs / 3);
    this.#renewer.unref();
  }

  /**
   * Store a new approval request and enqueue its Slack post, or join the identical pending one
   * from the same agent (same fingerprint). Concurrent identical opens create exactly one.
   * An exec/attach/port-forward whose identical request was denied, expired or stale less than
   * `connectRetryWindowMs` ago gets that approval back (`repeatedUntil`), not a new one.
   */
  async open(input: OpenInput): Promise<OpenResult> {
    this.#assertOpen();
    validateOpen(input);
    const fingerprint = fingerprintOf(input);
    const pointer = this.#keys.fingerprint(fingerprint);
    const { requestTtlMs, grantTtlMs, retainMs } = this.#options;
    const repeatWindowMs = isConnectVerb(input.action.verb) ? this.#options.connectRetryWindowMs : 0;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const seenId = (await this.#client.get(pointer)) ?? '';
      const id = newApprovalId();
      const createdAt = this.#options.clock.now();
      const approval: ApprovalRequest = {
        ...input,
        owners: [...input.owners],
        id,
        fingerprint,
        createdAt,
        expiresAt: createdAt + requestTtlMs,
        state: 'pending',
        votes: [],
        revision: 0,
      };
      const member = pendingMember(createdAt, id);
      const time = iso(createdAt);
      const requested = JSON.stringify({
        type: 'approval.requested',
        approvalId: id,
        agent: input.agent,
        cluster: input.cluster,
        command: input.command,
        rule: input.rule,
        reason: input.reason,
        group: input.group,
        approvalsNeeded: input.approvalsNeeded,
        expiresAt: iso(approval.expiresAt),
        runAs: input.runAs,
        time,
      });
      const joined = JSON.stringify({
        type: 'approval.joined',
        approvalId: seenId,
        agent: input.agent,
        time,
      });
      const epoch = connectionEpoch(this.#client);
      const [code, reply] = await this.#run(
        openScript,
        [
          pointer,
          this.#keys.approval(seenId === '' ? id : seenId),
          this.#keys.approval(id),
          this.#keys.body(id),
          this.#keys.pending,
          this.#keys.expiries,
          this.#keys.outbox,
          this.#keys.holders(seenId === '' ? id : seenId),
          this.#keys.holders(id),
          this.#keys.presence,
        ],
        [
          seenId,
          id,
          createdAt,
          requestTtlMs + grantTtlMs,
          requestTtlMs + grantTtlMs + retainMs,
          this.#keys.events,
          input.request.bodyBase64 ?? '',
          member,
          approval.expiresAt,
          repeatWindowMs,
          requested,
          joined,
          time,
          this.#instance,
          this.#options.presenceLeaseMs,
          ...encodeNew(approval, member),
        ],
      );
      if (code === OpenOutcome.Repeated) {
        const refused = decodeApproval(reply as unknown[], undefined);
        const refusedAt = refused.state === 'stale' ? refused.stale?.at : refused.decidedAt;
        return { approval: refused, joined: true, repeatedUntil: (refusedAt ?? 0) + repeatWindowMs };
      }
      if (code === OpenOutcome.Created || code === OpenOutcome.Joined) {
        // A created approval is the hash this call just wrote (encodeNew), its one holder and the revision
        // the script gave it: reading it back cost an HGETALL, its decoding and, with many held requests
        // opened at once, garbage that outlived the young generation (scripts/bench/findings.md).
        const stored =
          code === OpenOutcome.Created
            ? { ...approval, holders: 1, revision: Number(reply) }
            : decodeApproval(reply as unknown[], input.request.bodyBase64);
        // This process holds one more connection of it: its presence lease is renewed until leave().
        this.#held.set(stored.id, (this.#held.get(stored.id) ?? 0) + 1);
        // Re-enqueueing on a join is a no-op while the post job exists, and heals a crash between
        // creating the approval and enqueueing its post.
        if (stored.slack === undefined) await this.#queues.post(stored.id);
        // The approval and its post job are on the replicas before the request is held on them: a
        // failover then keeps the pending approval and its one Slack message.
        await confirmDurable(this.#client, epoch);
        await this.#drain();
        return { approval: stored, joined: code === OpenOutcome.Joined };
      }
    }
    throw new ContendedError(
      `opening request ${fingerprint.slice(0, 12)}… lost ${MAX_ATTEMPTS} races with other writers; retry`,
    );
  }

  /** {@link fingerprintOf}, for callers that hold only the store (the gateway's approvals port). */
  fingerprint(input: FingerprintInput): string {
    return fingerprintOf(input);
  }

  /** Resolves when Redis answers (readiness checks). */
  async ping(): Promise<void> {
    this.#assertOpen();
    await this.#client.ping();
  }

  /** The approval with its body, or undefined when there is none with this id. */
  async get(id: string): Promise<ApprovalRequest | undefined> {
    this.#assertOpen();
    const [hash, body] = await Promise.all([
      this.#client.hgetall(this.#keys.approval(id)),
      this.#client.get(this.#keys.body(id)),
    ]);
    if (Object.keys(hash).length === 0) return undefined;
    return decodeApproval(Object.entries(hash).flat(), body);
  }

  /** Pending approvals in creation order, a page at a time (cost grows with the page, not the backlog). */
  async listPending(page: PageInput): Promise<Page> {
    this.#assertOpen();
    validatePage(page);
    const newest = page.order === 'newest';
    const cursor = page.cursor;
    const members = newest
      ? await this.#client.zrevrangebylex(
          this.#keys.pending,
          cursor ? `(${cursor}` : '+',
          '-',
          'LIMIT',
          0,
          page.limit + 1,
        )
      : await this.#client.zrangebylex(
          this.#keys.pending,
          cursor ? `(${cursor}` : '-',
          '+',
          'LIMIT',
          0,
          page.limit + 1,
        );
    const more = members.length > page.limit;
    const shown = members.slice(0, page.limit);
    const pipeline = this.#client.pipeline();
    for (const member of shown) pipeline.hgetall(this.#keys.approval(idOfMember(member)));
    const replies = (await pipeline.exec()) ?? [];
    const items: ApprovalRequest[] = [];
    for (const [error, hash] of replies) {
      if (error) throw error;
      const fields = hash as Record<string, string>;
      if (fields.state !== 'pending') continue; // decided between the two reads
      items.push(decodeApproval(Object.entries(fields).flat()));
    }
    return { items, nextCursor: more ? shown[shown.length - 1] : undefined };
  }

  async countPending(): Promise<number> {
    this.#assertOpen();
    return await this.#client.zcard(this.#keys.pending);
  }

  /**
   * Record one person's vote (one atomic script). Exactly one caller ever gets `approved` or
   * `denied` for an approval. Throws NotFoundError for an unknown id.
   */
  async vote(id: string, input: VoteInput): Promise<VoteResult> {
    this.#assertOpen();
    validateVote(input);
    const now = this.#options.clock.now();
    const vote = JSON.stringify({
      userId: input.userId,
      userName: input.userName,
      decision: input.decision,
      reason: input.reason,
      at: now,
    });
    const grantExpiresAt = now + this.#options.grantTtlMs;
    const places = await this.#placesOf(id);
    const epoch = connectionEpoch(this.#client);
    const [code, approvals, flat] = await this.#run(
      voteScript,
      [
        this.#keys.approval(id),
        this.#keys.pending,
        this.#keys.expiries,
        this.#keys.body(id),
        this.#keys.grants,
        this.#keys.outbox,
        ...places,
      ],
      [
        id,
        now,
        input.userId,
        input.decision,
        vote,
        grantExpiresAt,
        this.#keys.events,
        iso(now),
        iso(grantExpiresAt),
        input.refusal ?? '',
      ],
    );
    if (code === ScriptFailure.NotFound) throw new NotFoundError(id);
    // On the replicas before anyone is told "recorded": a failover must not lose an answered vote.
    await confirmDurable(this.#client, epoch);
    await this.#drain();
    const approval = decodeApproval(flat as unknown[]);
    const base = { approval, approvals: Number(approvals), needed: approval.approvalsNeeded };
    switch (code as VoteOutcome) {
      case VoteOutcome.Recorded:
        await this.#refresh(approval, 'vote');
        return { ...base, outcome: 'recorded' };
      case VoteOutcome.Approved:
        await this.#refresh(approval, 'approved');
        return { ...base, outcome: 'approved' };
      case VoteOutcome.Denied:
        await this.#refresh(approval, 'denied');
        return { ...base, outcome: 'denied' };
      case VoteOutcome.ExpiredNow:
        await this.#refresh(approval, 'expired');
        return { ...base, outcome: 'expired' };
      case VoteOutcome.Expired:
        return { ...base, outcome: 'expired' };
      case VoteOutcome.Duplicate:
        return { ...base, outcome: 'duplicate' };
      case VoteOutcome.RefusedOwner:
        return { ...base, outcome: 'refused-owner' };
      case VoteOutcome.Refused:
        return { ...base, outcome: 'refused' };
      case VoteOutcome.AlreadyDecided:
        return {
          ...base,
          outcome: 'already-decided',
          state: approval.state as Exclude<ApprovalState, 'pending' | 'expired'>,
          decidedBy: decidedBy(approval),
        };
    }
  }

  /**
   * approved -> dispatched. True for exactly one caller, and only inside the grant window;
   * false otherwise (not approved, already dispatched, window over). Throws NotFoundError.
   */
  async claimDispatch(id: string, holderId: string, via: 'hold' | 'grant'): Promise<boolean> {
    this.#assertOpen();
    const [code, rest] = await this.#dispatch(id, holderId, via, '', '');
    if (code === ScriptFailure.NotFound) throw new NotFoundError(id);
    return code === 1 && rest !== undefined;
  }

  /**
   * dispatched -> completed, with the upstream status, or with why there is none (`unanswered`: never
   * shown or recorded as an answer). Throws InvalidTransitionError when not dispatched.
   */
  async completeDispatch(id: string, result: CompleteInput): Promise<ApprovalRequest> {
    this.#assertOpen();
    const answered = 'status' in result;
    const [code, rest] = await this.#run(
      completeScript,
      [this.#keys.approval(id), this.#keys.outbox],
      [
        id,
        answered ? result.status : '',
        result.durationMs,
        this.#keys.events,
        iso(this.#options.clock.now()),
        answered ? '' : result.unanswered.kind,
        answered ? '' : result.unanswered.why,
      ],
    );
    await this.#drain();
    if (code !== 1)
      throw scriptFailureToError(code as ScriptFailure, id, rest as ApprovalState, 'complete its dispatch');
    const approval = decodeApproval(rest as unknown[]);
    await this.#refresh(approval, 'completed');
    return approval;
  }

  /**
   * dispatched -> stale: the holder that claimed the dispatch found the target changed since it was
   * approved and sent nothing; `reason` is the sentence kubectl, Slack and the audit show. Throws
   * InvalidTransitionError when not dispatched by this holder or already completed.
   */
  async markStale(id: string, holderId: string, reason: string): Promise<ApprovalRequest> {
    this.#assertOpen();
    if (reason === '') throw new InvalidInputError('a stale approval needs the reason nothing was sent');
    const now = this.#options.clock.now();
    const [code, rest] = await this.#run(
      staleScript,
      [this.#keys.approval(id), this.#keys.outbox],
      [id, now, holderId, reason, this.#keys.events, iso(now)],
    );
    await this.#drain();
    if (code !== 1)
      throw scriptFailureToError(code as ScriptFailure, id, rest as ApprovalState, 'mark it stale');
    const approval = decodeApproval(rest as unknown[]);
    await this.#refresh(approval, 'stale');
    return approval;
  }

  /** The approved, undispatched approval whose grant is still open for exactly this agent and request. */
  async findGrant(agent: string, fingerprint: string): Promise<ApprovalRequest | undefined> {
    this.#assertOpen();
    const id = await this.#client.get(this.#keys.fingerprint(fingerprint));
    if (id === null) return undefined;
    const approval = await this.get(id);
    const open =
      approval?.state === 'approved' &&
      approval.agent === agent &&
      approval.fingerprint === fingerprint &&
      this.#options.clock.now() < (approval.grantExpiresAt ?? 0);
    return open ? approval : undefined;
  }

  /** Claim the grant for this agent and request: approved -> dispatched (via 'grant'), at most once. */
  async claimGrant(
    agent: string,
    fingerprint: string,
    holderId: string,
  ): Promise<ApprovalRequest | undefined> {
    this.#assertOpen();
    const id = await this.#client.get(this.#keys.fingerprint(fingerprint));
    if (id === null) return undefined;
    const [code, rest] = await this.#dispatch(id, holderId, 'grant', agent, fingerprint);
    return code === 1 ? decodeApproval(rest as unknown[]) : undefined;
  }

  /** pending -> expired once expiresAt has passed. Throws InvalidTransitionError when decided or not due. */
  async expire(id: string): Promise<ApprovalRequest> {
    this.#assertOpen();
    const [code, rest] = await this.#expire(id);
    if (code !== 1) throw scriptFailureToError(code as ScriptFailure, id, rest as ApprovalState, 'expire it');
    return decodeApproval(rest as unknown[]);
  }

  /**
   * The time-driven transitions, run by every process that has a store (both apps, every replica;
   * each script lets exactly one caller win): expire every pending approval past its expiry, lapse
   * every unclaimed grant past its end, and move what is left in the audit outbox into the chain.
   * Returns how many approvals this call expired or lapsed.
   */
  async sweepExpired(): Promise<number> {
    this.#assertOpen();
    let changed = 0;
    for (const [index, transition] of [
      [this.#keys.expiries, (id: string) => this.#expire(id)],
      [this.#keys.grants, (id: string) => this.#lapse(id)],
    ] as const) {
      for (;;) {
        const now = this.#options.clock.now();
        const ids = await this.#client.zrangebyscore(index, '-inf', now, 'LIMIT', 0, SWEEP_BATCH);
        for (const id of ids) {
          const [code] = await transition(id);
          if (code === 1) changed++;
        }
        if (ids.length < SWEEP_BATCH) break;
      }
    }
    changed += await this.#sweepPresence();
    await this.#drain();
    return changed;
  }

  /**
   * Ends the presence of connections whose holder stopped renewing its lease (a crashed or cut-off
   * gateway never calls leave): their requester is recorded as gone. Leases are in Redis's time;
   * this instance's own are renewed, never ended (it is alive: it is running this).
   */
  async #sweepPresence(): Promise<number> {
    await this.#renew();
    let ended = 0;
    for (;;) {
      const [seconds, micros] = await this.#client.time();
      const now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
      const members = await this.#client.zrangebyscore(
        this.#keys.presence,
        '-inf',
        now,
        'LIMIT',
        0,
        SWEEP_BATCH,
      );
      const due = members.map(parsePresenceMember).filter((lease) => lease.instance !== this.#instance);
      for (const { instance, id } of due) {
        const [code, revision, state] = await this.#leave(id, instance, 'lapsed');
        if (code === 1) {
          ended++;
          await this.#refreshIfGone(id, revision, state);
        }
      }
      if (members.length < SWEEP_BATCH) return ended;
    }
  }

  /**
   * One held connection of the approval is gone (client left, hold timed out). The last one going
   * records the requester as disconnected; approved, the approval is then a grant for the retry.
   */
  async leave(id: string): Promise<void> {
    this.#assertOpen();
    const count = (this.#held.get(id) ?? 0) - 1;
    if (count > 0) this.#held.set(id, count);
    else this.#held.delete(id);
    const [code, revision, state] = await this.#leave(id, this.#instance, '');
    if (code !== 1) throw scriptFailureToError(code as ScriptFailure, id, undefined, 'leave it');
    await this.#drain();
    await this.#refreshIfGone(id, revision, state);
  }

  /**
   * The message says the requester is gone once the leave that recorded it announced a revision
   * (0: nothing changed); the script answers with that, not the approval, since every held request leaves.
   */
  async #refreshIfGone(id: string, revision: unknown, state: unknown): Promise<void> {
    if (Number(revision) > 0) {
      await this.#refresh({ id, revision: Number(revision), state: state as ApprovalState }, 'presence');
    }
  }

  async #leave(id: string, instance: string, mode: '' | 'lapsed'): Promise<Reply> {
    const now = this.#options.clock.now();
    return await this.#run(
      leaveScript,
      [this.#keys.approval(id), this.#keys.outbox, this.#keys.holders(id), this.#keys.presence],
      [id, now, iso(now), this.#keys.events, instance, mode],
    );
  }

  /** Renews the presence leases of the connections this instance holds. */
  async #renew(): Promise<void> {
    if (this.#held.size === 0) return;
    const members = [...this.#held.keys()].map((id) => presenceMember(this.#instance, id));
    await this.#run(presenceScript, [this.#keys.presence], [this.#options.presenceLeaseMs, ...members]);
  }

  async #renewInBackground(): Promise<void> {
    if (this.#closed) return;
    try {
      await this.#renew();
    } catch (error) {
      this.#options.onError(asError(error));
    }
  }

  /** Remember the Slack message of an approval; enqueues a refresh (votes may have come meanwhile). */
  async setSlackMessage(id: string, message: { channel: string; ts: string }): Promise<ApprovalRequest> {
    this.#assertOpen();
    const [code, rest] = await this.#run(
      slackScript,
      [this.#keys.approval(id)],
      [id, message.channel, message.ts, this.#keys.events],
    );
    if (code !== 1) throw scriptFailureToError(code as ScriptFailure, id, undefined, 'set its Slack message');
    const approval = decodeApproval(rest as unknown[]);
    await this.#refresh(approval, 'slack');
    return approval;
  }

  /**
   * Whether the approval gets its own Slack message or waits in its agent's burst message: at most
   * `limit` (slack.coalesceAfter) of an agent's pending approvals have their own at once. Decided
   * once per approval, atomically across replicas; coalescing enqueues the burst message.
   */
  async place(id: string, limit: number): Promise<Placement> {
    this.#assertOpen();
    return await this.#bursts.place(id, limit);
  }

  /** An approver asked for a waiting approval's own message: it is posted (a vote still decides it). */
  async postForReview(id: string, by: SlackUser): Promise<PostForReviewResult> {
    this.#assertOpen();
    return await this.#bursts.postForReview(id, by);
  }

  /** After one of the agent's approvals left pending: its oldest waiting ones take the free places. */
  async promoteWaiting(agent: string, limit: number): Promise<readonly string[]> {
    this.#assertOpen();
    return await this.#bursts.promoteWaiting(agent, limit);
  }

  /** The agent's burst message and its `shown` oldest waiting approvals. */
  async burst(agent: string, shown: number): Promise<BurstView> {
    this.#assertOpen();
    return await this.#bursts.burst(agent, shown);
  }

  /** Remembers where the agent's burst message is, or forgets it (`undefined`) once nothing waits. */
  async setBurstMessage(agent: string, message: { channel: string; ts: string } | undefined): Promise<void> {
    this.#assertOpen();
    await this.#bursts.setBurstMessage(agent, message);
  }

  /**
   * Store the blast radius the gateway read (any state; it only describes the request) and enqueue a
   * refresh so the message shows it. Throws NotFoundError for an unknown id.
   */
  async setPreview(id: string, preview: ApprovalPreview): Promise<void> {
    this.#assertOpen();
    const [code, revision, state] = await this.#run(
      previewScript,
      [this.#keys.approval(id), this.#keys.outbox],
      [
        id,
        JSON.stringify(preview),
        this.#keys.events,
        JSON.stringify({
          type: 'approval.preview',
          approvalId: id,
          status: preview.status,
          summary: describePreview(preview),
          durationMs: preview.durationMs,
          time: iso(this.#options.clock.now()),
        }),
      ],
    );
    await this.#drain();
    if (code !== 1) throw scriptFailureToError(code as ScriptFailure, id, undefined, 'set its preview');
    // The refresh needs only the revision and state: no HGETALL of the approval, for every held request.
    await this.#refresh({ id, revision: Number(revision), state: state as ApprovalState }, 'preview');
  }

  /**
   * Resolves with the approval once its state leaves pending (decided by any process), or with the
   * still-pending approval when `timeoutMs` passes. Rejects with the signal's reason on abort and
   * with NotFoundError for an unknown id.
   */
  waitForDecision(id: string, options: WaitOptions): Promise<ApprovalRequest> {
    // Not an async function: its suspended frame would be kept by every held request for the whole hold.
    return new Promise<ApprovalRequest>((resolve, reject) => {
      this.#assertOpen();
      options.signal?.throwIfAborted();
      this.#feed
        .ready()
        .then(() => new DecisionWait(id, options, { resolve, reject }, this.#waitStore).start(), reject);
    });
  }

  /** Every change, from any process; returns the function that stops listening. */
  async onChange(listener: (change: ApprovalChange) => void): Promise<() => void> {
    this.#assertOpen();
    await this.#feed.ready();
    return this.#feed.on(listener);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#sweeper);
    clearInterval(this.#renewer);
    await Promise.all(this.#refreshing);
    await this.#queues.close();
    await this.#feed.close();
    await this.#client.quit().catch(() => this.#client.disconnect());
  }

  async #dispatch(
    id: string,
    holderId: string,
    via: 'hold' | 'grant',
    agent: string,
    fingerprint: string,
  ): Promise<Reply> {
    const now = this.#options.clock.now();
    const epoch = connectionEpoch(this.#client);
    const reply = await this.#run(
      dispatchScript,
      [this.#keys.approval(id), this.#keys.body(id), this.#keys.grants, this.#keys.outbox],
      [id, now, holderId, via, agent, fingerprint, this.#keys.events, iso(now)],
    );
    // The claim is on the replicas before anything is sent upstream: a promoted replica that did not
    // know it would let another claim send the same request again. Not confirmed: nothing is sent,
    // and the claim is released so that the approval is not stuck as dispatched.
    if (reply[0] === 1) {
      try {
        await confirmDurable(this.#client, epoch);
      } catch (error) {
        await this.#release(id, holderId, via, now, asError(error));
        throw error;
      }
    }
    await this.#drain();
    // The claimer sends the request next: the Slack message's refresh is enqueued meanwhile, not first.
    if (reply[0] === 1) this.#refreshAfter(decodeApproval(reply[1] as unknown[]), 'dispatched');
    return reply;
  }

  /**
   * Undoes this caller's unconfirmed claim (approved again, a grant for the agent's re-run), when
   * Redis still has it: a claim lost with the old primary left nothing to undo, and one made since
   * by another caller is not ours. Never sends; a failed release only leaves the claim in place
   * (safe: nothing was sent) and is reported. The release waits for the replicas like the claim did:
   * the claim may still have reached them after its WAIT gave up, and a promoted replica holding the
   * claim without its undoing would show the approval claimed though nothing was sent.
   */
  async #release(id: string, holderId: string, via: 'hold' | 'grant', claimedAt: number, why: Error) {
    const epoch = connectionEpoch(this.#client);
    try {
      await this.#run(
        releaseScript,
        [this.#keys.approval(id), this.#keys.grants, this.#keys.outbox],
        [id, holderId, claimedAt, via, this.#keys.events, iso(this.#options.clock.now()), why.message],
      );
      await confirmDurable(this.#client, epoch);
    } catch (error) {
      this.#options.onError(
        new Error(
          `approval ${id}: the release of its unconfirmed dispatch claim is not confirmed either (${asError(error).message}); nothing was sent, but after a failover now the approval may stay claimed`,
          { cause: error },
        ),
      );
    }
    await this.#drain();
  }

  async #expire(id: string): Promise<Reply> {
    const now = this.#options.clock.now();
    const places = await this.#placesOf(id);
    const reply = await this.#run(
      expireScript,
      [
        this.#keys.approval(id),
        this.#keys.pending,
        this.#keys.expiries,
        this.#keys.body(id),
        this.#keys.outbox,
        ...places,
      ],
      [id, now, this.#keys.events, iso(now)],
    );
    await this.#drain();
    if (reply[0] === 1) await this.#refresh(decodeApproval(reply[1] as unknown[]), 'expired');
    return reply;
  }

  async #lapse(id: string): Promise<Reply> {
    const now = this.#options.clock.now();
    const reply = await this.#run(
      lapseScript,
      [this.#keys.approval(id), this.#keys.grants, this.#keys.body(id), this.#keys.outbox],
      [id, now, iso(now), this.#keys.events],
    );
    await this.#drain();
    if (reply[0] === 1) await this.#refresh(decodeApproval(reply[1] as unknown[]), 'lapsed');
    return reply;
  }

  /**
   * The agent's `posted` and `waiting` keys, which a transition out of pending updates. The agent is
   * read first (it never changes once created); an unknown id gets an agent '' the script never touches.
   */
  async #placesOf(id: string): Promise<[string, string]> {
    const agent = (await this.#client.hget(this.#keys.approval(id), 'agent')) ?? '';
    return [this.#keys.posted(agent), this.#keys.waiting(agent)];
  }

  /**
   * Moves this change's audit event (and any left by others) into the chain before the caller goes
   * on, so what it does next (the dispatch, the answer) is recorded after it. A failure is reported:
   * the change is made and its event waits in the outbox for the next drain.
   */
  async #drain(): Promise<void> {
    try {
      await this.#options.audit?.drainOutbox();
    } catch (error) {
      this.#options.onError(asError(error));
    }
  }

  async #sweepInBackground(): Promise<void> {
    if (this.#sweeping || this.#closed) return;
    this.#sweeping = true;
    try {
      await this.sweepExpired();
    } catch (error) {
      this.#options.onError(asError(error));
    } finally {
      this.#sweeping = false;
    }
  }

  /**
   * Enqueue the message refresh, and the owners' message when the change reached an outcome they
   * are told of. A failed enqueue is reported, not thrown: it must not fail a vote already recorded.
   */
  async #refresh(
    approval: Pick<ApprovalRequest, 'id' | 'revision' | 'state'>,
    change: ChangeKind,
  ): Promise<void> {
    try {
      await this.#queues.refresh(approval.id, approval.revision, change);
      if (NOTIFIED_STATES.has(approval.state) && change === approval.state)
        await this.#queues.notify(approval.id, approval.state);
    } catch (error) {
      this.#options.onError(asError(error));
    }
  }

  /** #refresh without the caller waiting for the enqueue (it reports its own failure). */
  #refreshAfter(approval: ApprovalRequest, change: ChangeKind): void {
    const enqueued: Promise<void> = this.#refresh(approval, change).finally(() =>
      this.#refreshing.delete(enqueued),
    );
    this.#refreshing.add(enqueued);
  }

  async #run(...args: Parameters<ScriptRunner['run']>): Promise<Reply> {
    return (await this.#scripts.run(...args)) as Reply;
  }

  #assertOpen(): void {
    if (this.#closed) throw new ClosedError();
  }
}

const iso = (ms: number) => new Date(ms).toISOString();

function idOfMember(member: string): string {
  return member.slice(member.indexOf(':') + 1);
}

/** Who decided: the denier, or the approvers in vote order. */
function decidedBy(approval: ApprovalRequest): string[] {
  if (approval.deniedBy !== undefined) return [approval.deniedBy];
  return approval.votes.filter((vote) => vote.decision === 'approve').map((vote) => vote.userId);
}
