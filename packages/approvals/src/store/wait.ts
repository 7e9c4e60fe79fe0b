import { asError, NotFoundError } from '../errors.js';
import type { ApprovalRequest } from '../model.js';
import type { WaitOptions } from './types.js';
import type { DecisionWaiters, Waiter } from './waiters.js';

/** What a wait reads and where it registers: one per store, shared by every wait. */
export interface WaitStore {
  readonly waiters: DecisionWaiters;
  /** The approval's `state` field alone (a held body may be megabytes); null when there is none. */
  readState(id: string): Promise<string | null>;
  /** The whole approval, read once it is decided or the time is up. */
  read(id: string): Promise<ApprovalRequest | undefined>;
  readonly onError: (error: Error) => void;
}

/**
 * One held request's wait for its approval's decision, settled exactly once: decided, the deadline
 * passed (the still-pending approval), the signal aborted, or a read failed at the deadline. One
 * object per held request, woken by the store's shared DecisionWaiters and the signal (as its
 * listener object) — not a timer and five closures per held request.
 */
export class DecisionWait implements Waiter {
  readonly id: string;
  readonly deadline: number;
  readonly #signal: AbortSignal | undefined;
  readonly #resolve: (approval: ApprovalRequest) => void;
  readonly #reject: (reason: unknown) => void;
  readonly #store: WaitStore;
  #settled = false;

  constructor(
    id: string,
    options: WaitOptions,
    settle: { resolve: (approval: ApprovalRequest) => void; reject: (reason: unknown) => void },
    store: WaitStore,
  ) {
    this.id = id;
    this.deadline = performance.now() + options.timeoutMs;
    this.#signal = options.signal;
    this.#resolve = settle.resolve;
    this.#reject = settle.reject;
    this.#store = store;
  }

  start(): void {
    this.#store.waiters.add(this);
    this.#signal?.addEventListener('abort', this);
    // The signal may have fired while we were subscribing.
    if (this.#signal?.aborted) this.handleEvent();
    // Subscribed before this read, so a decision made just before is seen here, and one made
    // just after arrives as a message.
    void this.#check(false);
  }

  wake(atDeadline: boolean): void {
    void this.#check(atDeadline);
  }

  /** The signal's abort. */
  handleEvent(): void {
    if (this.#finish()) this.#reject(this.#signal?.reason);
  }

  /** True for the one call that settles the wait; it then stops listening. */
  #finish(): boolean {
    if (this.#settled) return false;
    this.#settled = true;
    this.#store.waiters.remove(this);
    this.#signal?.removeEventListener('abort', this);
    return true;
  }

  /**
   * A failed read before the deadline is reported and retried by the next poll: a Redis blip must not
   * drop a held request; at the deadline it rejects.
   */
  async #check(atDeadline: boolean): Promise<void> {
    try {
      const state = await this.#store.readState(this.id);
      if (this.#settled || (state === 'pending' && !atDeadline)) return;
      const approval = state === null ? undefined : await this.#store.read(this.id);
      if (!this.#finish()) return;
      if (approval === undefined) this.#reject(new NotFoundError(this.id));
      else this.#resolve(approval);
    } catch (error) {
      if (!atDeadline) this.#store.onError(asError(error));
      else if (this.#finish()) this.#reject(error);
    }
  }
}
