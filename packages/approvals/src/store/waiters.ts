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

/**
 * The held requests waiting on their approvals' decisions, for one store: one feed listener that
 * finds a change's waiters by id, and one poll for all of them (a pub/sub message lost to a
 * reconnect only delays a decision) — not a listener and an interval timer per held request, which
 * at 10,000 held meant 10,000 closures run per change and 2,000 reads a second.
 */
export class DecisionWaiters {
  readonly #byId = new Map<string, Set<() => void>>();
  readonly #sources: WaiterSources;
  #unsubscribe: (() => void) | undefined;
  #poll: NodeJS.Timeout | undefined;

  constructor(sources: WaiterSources) {
    this.#sources = sources;
  }

  /** Calls `decided` when `id` may have left pending (the waiter reads it to be sure); returns the remover. */
  add(id: string, decided: () => void): () => void {
    let waiters = this.#byId.get(id);
    if (!waiters) {
      waiters = new Set();
      this.#byId.set(id, waiters);
    }
    waiters.add(decided);
    this.#start();
    return () => {
      waiters.delete(decided);
      if (waiters.size === 0 && this.#byId.get(id) === waiters) this.#byId.delete(id);
      if (this.#byId.size === 0) this.#stop();
    };
  }

  #notify(id: string): void {
    for (const decided of [...(this.#byId.get(id) ?? [])]) decided();
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
