import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { confirmDurable, connectionEpoch } from '@gatehouse/redis';
import type { Redis } from 'ioredis';
import type { ChainHead, TimedEvent } from '../chain/link.js';
import { EMPTY_HEAD, GENESIS_HASH, linkEvents, serialiseEvent } from '../chain/link.js';
import { ContendedError, StoreFailedError } from '../errors.js';
import type { StoredEvent } from '../events.js';
import type { AuditKeys } from '../keys.js';
import { APPEND_SCRIPT, APPEND_SCRIPT_SHA1 } from './append-script.js';

export interface ChainStoreOptions {
  /** XADD events to the log stream (the `redis` sink); without it Redis keeps only the head. */
  readonly stream: boolean;
  /** How long a batch may wait for its place in the chain before failing with ContendedError. */
  readonly maxWaitMs: number;
}

/** A turn outlives its holder by this much at most; a live holder retries within one round trip. */
const TURN_TTL_MS = 200;
/** Pause before asking again while another writer holds the turn. */
const TURN_POLL_MS = 1;

enum Reply {
  HeadMoved = 0,
  Appended = 1,
  NotOurTurn = 2,
  OutboxMoved = 3,
}

/** Outbox entries a batch was made from, as read: the script removes exactly these, or refuses. */
export interface OutboxSlice {
  readonly key: string;
  readonly raws: readonly string[];
}

/**
 * The one chain all writers share. Links a batch to the head it last saw and
 * compares-and-sets it in one script; when another writer moved the head, the script
 * answers with the new head and the batch is re-linked from there.
 */
export class ChainStore {
  private head: ChainHead | undefined;
  private readonly writerId = randomUUID();

  constructor(
    private readonly redis: Redis,
    private readonly keys: AuditKeys,
    private readonly options: ChainStoreOptions,
  ) {}

  async append(events: readonly TimedEvent[]): Promise<StoredEvent[]> {
    return (await this.appendFrom(events, undefined)) ?? [];
  }

  /**
   * Appends events read from the head of an outbox list and removes them from it in the same
   * script; undefined when another writer drained them first (read the outbox again).
   */
  async appendFrom(
    events: readonly TimedEvent[],
    outbox: OutboxSlice | undefined,
  ): Promise<StoredEvent[] | undefined> {
    const deadline = performance.now() + this.options.maxWaitMs;
    let head = this.head ?? (await this.readHead());
    let linked = linkEvents(head, events);
    while (performance.now() < deadline) {
      const epoch = connectionEpoch(this.redis);
      const [reply, current] = await this.compareAndSet(head, linked, outbox);
      if (reply === Reply.OutboxMoved) return undefined;
      if (reply === Reply.Appended) {
        // The new head is on the replicas before anyone reads the events as stored: a promoted
        // replica with an older head would fork the chain.
        await confirmDurable(this.redis, epoch);
        const last = linked[linked.length - 1];
        this.head = last ? { seq: last.seq, hash: last.hash } : head;
        return linked;
      }
      if (reply === Reply.NotOurTurn) await sleep(TURN_POLL_MS);
      if (current.seq !== head.seq || current.hash !== head.hash) {
        head = current;
        linked = linkEvents(head, events);
      }
    }
    this.head = undefined;
    throw new ContendedError(this.options.maxWaitMs);
  }

  async readHead(): Promise<ChainHead> {
    const [seq, hash] = await this.call(() => this.redis.hmget(this.keys.head, 'seq', 'hash'));
    return seq && hash ? { seq: Number(seq), hash } : EMPTY_HEAD;
  }

  /** The script's answer and the head as it found it. */
  private async compareAndSet(
    head: ChainHead,
    linked: readonly StoredEvent[],
    outbox: OutboxSlice | undefined,
  ): Promise<[Reply, ChainHead]> {
    const last = linked[linked.length - 1];
    if (!last) return [Reply.Appended, head];
    const keys = [this.keys.head, this.keys.log, this.keys.turn];
    const from = outbox
      ? [
          String(keys.push(outbox.key)),
          String(outbox.raws.length),
          outbox.raws[0] ?? '',
          outbox.raws[outbox.raws.length - 1] ?? '',
        ]
      : ['0', '0', '', ''];
    const pairs: string[] = [];
    for (const event of linked) {
      const approvalId = 'approvalId' in event ? event.approvalId : undefined;
      const index = approvalId && this.options.stream ? keys.push(this.keys.approval(approvalId)) : 0;
      pairs.push(serialiseEvent(event), String(index));
    }
    const args = [
      this.writerId,
      String(TURN_TTL_MS),
      String(head.seq),
      head.hash,
      this.options.stream ? '1' : '0',
      String(last.seq),
      last.hash,
      ...from,
      ...pairs,
    ];
    const [reply, seq, hash] = (await this.call(() => this.runScript(keys, args))) as [
      Reply,
      string?,
      string?,
    ];
    if (reply === Reply.Appended || reply === Reply.OutboxMoved) return [reply, head];
    const current = Number(seq ?? 0) === 0 ? EMPTY_HEAD : { seq: Number(seq), hash: hash ?? GENESIS_HASH };
    return [reply, current];
  }

  private async runScript(keys: readonly string[], args: readonly string[]): Promise<unknown> {
    try {
      return await this.redis.evalsha(APPEND_SCRIPT_SHA1, keys.length, ...keys, ...args);
    } catch (error) {
      // Redis signals an unknown script only through this reply prefix.
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return this.redis.eval(APPEND_SCRIPT, keys.length, ...keys, ...args);
    }
  }

  private async call<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      this.head = undefined;
      const reason = error instanceof Error ? error.message : String(error);
      throw new StoreFailedError(
        `audit append to Redis failed (${reason}); check Redis, then verify the log`,
        error,
      );
    }
  }
}
