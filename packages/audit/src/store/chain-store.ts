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
  /** Compare-and-set attempts before giving up with ContendedError. */
  readonly maxAttempts: number;
}

/**
 * The one chain all writers share. Links a batch to the head it last saw and
 * compares-and-sets it in one script; when another writer moved the head, the script
 * answers with the new head and the batch is re-linked from there.
 */
export class ChainStore {
  private head: ChainHead | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly keys: AuditKeys,
    private readonly options: ChainStoreOptions,
  ) {}

  async append(events: readonly TimedEvent[]): Promise<StoredEvent[]> {
    let head = this.head ?? (await this.readHead());
    for (let attempt = 1; attempt <= this.options.maxAttempts; attempt += 1) {
      const linked = linkEvents(head, events);
      const moved = await this.compareAndSet(head, linked);
      if (!moved) {
        const last = linked[linked.length - 1];
        this.head = last ? { seq: last.seq, hash: last.hash } : head;
        return linked;
      }
      head = moved;
    }
    this.head = undefined;
    throw new ContendedError(this.options.maxAttempts);
  }

  async readHead(): Promise<ChainHead> {
    const [seq, hash] = await this.call(() => this.redis.hmget(this.keys.head, 'seq', 'hash'));
    return seq && hash ? { seq: Number(seq), hash } : EMPTY_HEAD;
  }

  /** Returns undefined when written, or the head that moved under us. */
  private async compareAndSet(
    head: ChainHead,
    linked: readonly StoredEvent[],
  ): Promise<ChainHead | undefined> {
    const last = linked[linked.length - 1];
    if (!last) return undefined;
    const keys = [this.keys.head, this.keys.log];
    const pairs: string[] = [];
    for (const event of linked) {
      const approvalId = 'approvalId' in event ? event.approvalId : undefined;
      const index = approvalId && this.options.stream ? keys.push(this.keys.approval(approvalId)) : 0;
      pairs.push(serialiseEvent(event), String(index));
    }
    const args = [
      String(head.seq),
      head.hash,
      this.options.stream ? '1' : '0',
      String(last.seq),
      last.hash,
      ...pairs,
    ];
    const reply = (await this.call(() => this.runScript(keys, args))) as [number, string?, string?];
    if (reply[0] === 1) return undefined;
    const seq = Number(reply[1] ?? 0);
    return seq === 0 ? EMPTY_HEAD : { seq, hash: reply[2] ?? GENESIS_HASH };
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
