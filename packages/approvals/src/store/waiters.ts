import type { ApprovalChange } from './types.js';

/** Where the waiters learn of decisions: the change feed, and a read of many states at once. */
export interface WaiterSources {
  /** Subscribes to every change; returns the unsubscribe. */
  onChange(listener: (change: ApprovalChange) => void): () => void;
  /** Each id's `state` field (undefined when gone), in order: one round trip for all of them. */
  readStates(ids: readonly string[]): Promise<(string | undefined)[]>;
  readonly pollIntervalMs: number;
  readonly onError: (error: Error) => void;
}

/** One held request waiting on its approval, as the waiters see it. */
export interface Waiter {
  readonly id: string;
  /** `performance.now()` at which the wait is up: `wake(true)` is called once then. */
  readonly deadline: number;
  /** `id` may have left pending, or (`atDeadline`) the time is up: the waiter reads it to be sure. */
  wake(atDeadline: boolean): void;
}

/** setTimeout's longest delay; a later deadline is reached in steps. */
const MAX_DELAY_MS = 2 ** 31 - 1;

/**
 * The held requests waiting on their approvals' decisions, for one store: one feed listener that
 * finds a change's waiters by id, one poll for all of them (a pub/sub message lost to a reconnect
 * only delays a decision), and one timer for all their deadlines, armed for the earliest — not a
 * listener, an interval and a timeout per held request, which at 10,000 held meant 10,000 closures
 * run per change, 2,000 reads a second, and a timer with its closures kept by each held request.
 */
export class DecisionWaiters {
  readonly #byId = new Map<string, Set<Waiter>>();
  /** Waiters whose deadline has not come, earliest first (equal deadlines in the order added). */
  readonly #byDeadline: Waiter[] = [];
  readonly #sources: WaiterSources;
  #unsubscribe: (() => void) | undefined;
  #poll: NodeJS.Timeout | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(sources: WaiterSources) {
    this.#sources = sources;
  }

  /** Wakes `waiter` when its id may have left pending, and once at its deadline, until removed. */
  add(waiter: Waiter): void {
    let waiters = this.#byId.get(waiter.id);
    if (!waiters) {
      waiters = new Set();
      this.#byId.set(waiter.id, waiters);
    }
    waiters.add(waiter);
    // Held requests mostly share one timeout, so this is nearly always the end.
    const at = this.#afterLast(waiter.deadline);
    this.#byDeadline.splice(at, 0, waiter);
    if (at === 0) this.#arm();
    this.#start();
  }

  remove(waiter: Waiter): void {
    const waiters = this.#byId.get(waiter.id);
    if (waiters?.delete(waiter) && waiters.size === 0) this.#byId.delete(waiter.id);
    const at = this.#indexOf(waiter);
    if (at !== -1) {
      this.#byDeadline.splice(at, 1);
      if (at === 0) this.#arm();
    }
    if (this.#byId.size === 0) this.#stop();
  }

  #notify(id: string): void {
    for (const waiter of [...(this.#byId.get(id) ?? [])]) waiter.wake(false);
  }

  /** The index after every waiter whose deadline is at or before `deadline`. */
  #afterLast(deadline: number): number {
    let low = 0;
    let high = this.#byDeadline.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.#byDeadline[middle] as Waiter).deadline <= deadline) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  #indexOf(waiter: Waiter): number {
    for (let i = this.#afterLast(waiter.deadline) - 1; i >= 0; i--) {
      const other = this.#byDeadline[i] as Waiter;
      if (other === waiter) return i;
      if (other.deadline !== waiter.deadline) return -1;
    }
    return -1;
  }

  /** The timer for the earliest deadline (none when nobody waits). */
  #arm(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const first = this.#byDeadline[0];
    if (!first) return;
    const delay = Math.min(MAX_DELAY_MS, Math.max(0, Math.ceil(first.deadline - performance.now())));
    this.#timer = setTimeout(() => this.#expire(), delay);
  }

  /** Wakes every waiter whose deadline came, once, and arms for the next. */
  #expire(): void {
    const now = performance.now();
    let due = 0;
    while (due < this.#byDeadline.length && (this.#byDeadline[due] as Waiter).deadline <= now) due++;
    const woken = this.#byDeadline.splice(0, due);
    this.#arm();
    for (const waiter of woken) waiter.wake(true);
  }

  #start(): void {
    if (this.#unsubscribe) return;
    this.#unsubscribe = this.#sources.onChange((change) => {
      if (change.state !== 'pending') this.#notify(change.id);
    });
    this.#poll = setInterval(() => void this.#pollOnce(), this.#sources.pollIntervalMs);
    this.#poll.unref();
  }

  #stop(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    clearInterval(this.#poll);
    this.#poll = undefined;
  }

  /**
   * Each tick reads anew, even while an earlier read is still out: a read caught in a failover may
   * not come back for a long time, and the poll is what wakes a waiter whose decision's pub/sub
   * message the failover lost.
   */
  async #pollOnce(): Promise<void> {
    try {
      const ids = [...this.#byId.keys()];
      const states = await this.#sources.readStates(ids);
      for (const [i, id] of ids.entries()) if (states[i] !== 'pending') this.#notify(id);
    } catch (error) {
      this.#sources.onError(error as Error);
    }
  }
}
