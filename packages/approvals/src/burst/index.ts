import type { SlackUser } from '@gatehouse/audit';
import type { Clock } from '@gatehouse/lifecycle';
import type { Redis } from 'ioredis';
import { InvalidInputError, NotFoundError, ScriptFailure } from '../errors.js';
import type { Keys } from '../keys.js';
import type { ApprovalRequest, ApprovalState } from '../model.js';
import type { ApprovalQueues } from '../queues/index.js';
import { PlaceOutcome, placeScript } from '../scripts/place.js';
import { promoteScript } from '../scripts/promote.js';
import { promoteNextScript } from '../scripts/promote-next.js';
import type { ScriptRunner } from '../scripts/run.js';
import { decodeApproval } from '../store/codec.js';

/**
 * Where an approval is shown: its own message, or a line of its agent's burst message (coalesced,
 * because the agent already has `limit` approvals on their own messages). `not-pending`: it ended
 * before it was posted; its message says how, and takes no place.
 */
export type Placement = 'own' | 'coalesced' | 'not-pending';

/** What a "Post for review" click came to. */
export type PostForReviewResult =
  | { readonly outcome: 'promoted' }
  /** It has its own message already (promoted meanwhile, or never coalesced). */
  | { readonly outcome: 'not-waiting' }
  | { readonly outcome: 'not-pending'; readonly state: ApprovalState };

/** An agent's burst message as Redis has it: where it is, and the first of its waiting approvals. */
export interface BurstView {
  readonly agent: string;
  readonly message?: { readonly channel: string; readonly ts: string } | undefined;
  /** All the agent's waiting approvals, not just those in `waiting`. */
  readonly total: number;
  /** The oldest waiting approvals (they get their own message first), bodies omitted. */
  readonly waiting: readonly ApprovalRequest[];
}

export interface BurstsDeps {
  readonly client: Redis;
  readonly scripts: ScriptRunner;
  readonly keys: Keys;
  readonly queues: ApprovalQueues;
  readonly clock: Clock;
  /** How long a request waits before it expires: one past it is never promoted (the sweeper expires it). */
  readonly requestTtlMs: number;
  /** Moves the events the scripts recorded into the audit chain (the store's drain). */
  readonly drain: () => Promise<void>;
}

/**
 * Per-agent coalescing of Slack posts under a burst: at most `limit` of an agent's pending
 * approvals have their own message at once, the rest wait in one burst message per agent. Every
 * decision is one Lua script (place, promote, promote-next); the transitions out of pending (vote,
 * expire) free places in their own scripts. Nothing here decides an approval: each still needs its
 * own votes on its own message.
 */
export class Bursts {
  readonly #deps: BurstsDeps;

  constructor(deps: BurstsDeps) {
    this.#deps = deps;
  }

  /**
   * Decides, once per approval, whether it gets its own message or waits in the burst message
   * (idempotent: a retried post job gets the same answer). Coalescing enqueues the burst message.
   */
  async place(id: string, limit: number): Promise<Placement> {
    validateLimit(limit);
    const { keys, scripts, queues } = this.#deps;
    const agent = await this.#agentOf(id);
    const [code, , free] = (await scripts.run(
      placeScript,
      [keys.approval(id), keys.posted(agent), keys.waiting(agent), keys.outbox],
      [id, limit, this.#now()],
    )) as [number, number, number];
    await this.#deps.drain();
    switch (code as PlaceOutcome | ScriptFailure) {
      case PlaceOutcome.Own:
      case PlaceOutcome.AlreadyOwn:
        return 'own';
      case PlaceOutcome.Coalesced:
      case PlaceOutcome.AlreadyCoalesced:
        await queues.burst(agent);
        // A place freed before the promoter ran: it goes to the oldest waiting, not to this one.
        if (free > 0) await this.promoteWaiting(agent, limit);
        return 'coalesced';
      case PlaceOutcome.NotPending:
        return 'not-pending';
      default:
        throw new NotFoundError(id);
    }
  }

  /** An approver's "Post for review": the waiting approval gets its own message now. */
  async postForReview(id: string, by: SlackUser): Promise<PostForReviewResult> {
    const { keys, scripts, queues } = this.#deps;
    const agent = await this.#agentOf(id);
    const [code, state] = (await scripts.run(
      promoteScript,
      [keys.approval(id), keys.posted(agent), keys.waiting(agent), keys.outbox],
      [id, JSON.stringify({ id: by.id, name: by.name }), this.#now()],
    )) as [number, string?];
    await this.#deps.drain();
    if (code === ScriptFailure.NotFound) throw new NotFoundError(id);
    if (code === ScriptFailure.WrongState) return { outcome: 'not-pending', state: state as ApprovalState };
    if (code !== 1) return { outcome: 'not-waiting' };
    await queues.postPromoted(id);
    await queues.burst(agent);
    return { outcome: 'promoted' };
  }

  /**
   * Gives the agent's oldest waiting approvals their own message while it has fewer than `limit`
   * (run after one of its approvals left pending), and re-renders its burst message when it has
   * one. Returns the ids promoted.
   */
  async promoteWaiting(agent: string, limit: number): Promise<readonly string[]> {
    validateLimit(limit);
    const { keys, scripts, queues } = this.#deps;
    const [burst, ...promoted] = (await scripts.run(
      promoteNextScript,
      [keys.posted(agent), keys.waiting(agent), keys.burst(agent), keys.outbox],
      [limit, agent, this.#now(), this.#deps.clock.now() - this.#deps.requestTtlMs],
    )) as [number, ...string[]];
    await this.#deps.drain();
    for (const id of promoted) await queues.postPromoted(id);
    if (burst === 1) await queues.burst(agent);
    return promoted;
  }

  /** The agent's burst message and its `shown` oldest waiting approvals. */
  async burst(agent: string, shown: number): Promise<BurstView> {
    const { client, keys } = this.#deps;
    const [message, ids, total] = await Promise.all([
      client.hgetall(keys.burst(agent)),
      shown > 0 ? client.zrange(keys.waiting(agent), 0, String(shown - 1)) : [],
      client.zcard(keys.waiting(agent)),
    ]);
    const pipeline = client.pipeline();
    for (const id of ids) pipeline.hgetall(keys.approval(id));
    const waiting: ApprovalRequest[] = [];
    for (const [error, hash] of (await pipeline.exec()) ?? []) {
      if (error) throw error;
      const fields = hash as Record<string, string>;
      // Ended between the two reads (its transition took it off the list).
      if (fields.state === 'pending') waiting.push(decodeApproval(Object.entries(fields).flat()));
    }
    const posted = message.channel !== undefined && message.ts !== undefined;
    return {
      agent,
      message: posted ? { channel: message.channel!, ts: message.ts! } : undefined,
      total,
      waiting,
    };
  }

  /**
   * Remembers the agent's burst message, or forgets it (`undefined`) once nothing waits, so a later
   * burst gets a new message at the bottom of the channel. Burst jobs run one at a time per agent.
   */
  async setBurstMessage(agent: string, message: { channel: string; ts: string } | undefined): Promise<void> {
    const { client, keys } = this.#deps;
    if (message === undefined) await client.del(keys.burst(agent));
    else await client.hset(keys.burst(agent), 'channel', message.channel, 'ts', message.ts);
  }

  /** The approval's agent (never changes once created); '' for an unknown id, which the scripts report. */
  async #agentOf(id: string): Promise<string> {
    return (await this.#deps.client.hget(this.#deps.keys.approval(id), 'agent')) ?? '';
  }

  #now(): string {
    return new Date(this.#deps.clock.now()).toISOString();
  }
}

function validateLimit(limit: number): void {
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new InvalidInputError(
      `the number of an agent's requests with their own message (slack.coalesceAfter) must be an integer of at least 1, got ${limit}`,
    );
  }
}
