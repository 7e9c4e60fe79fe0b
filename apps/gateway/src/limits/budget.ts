/**
 * A quantity shared by all requests of a replica, with a cap in all and a cap per key (an agent, a
 * cluster). Taking never waits: past a cap it says no and the caller refuses the request, so an
 * overload costs a refusal, not memory or a queue.
 */
export class Budget {
  readonly #total: number;
  readonly #perKey: number;
  readonly #used = new Map<string, number>();
  #usedTotal = 0;

  constructor(limits: { readonly total: number; readonly perKey: number }) {
    this.#total = limits.total;
    this.#perKey = limits.perKey;
  }

  /** Takes `amount` for `key`, or returns which cap it would pass (nothing is taken then). */
  take(key: string, amount: number): 'ok' | 'per-key' | 'total' {
    const used = this.#used.get(key) ?? 0;
    if (used + amount > this.#perKey) return 'per-key';
    if (this.#usedTotal + amount > this.#total) return 'total';
    this.#used.set(key, used + amount);
    this.#usedTotal += amount;
    return 'ok';
  }

  /** Gives back what `take` took. */
  give(key: string, amount: number): void {
    const left = (this.#used.get(key) ?? 0) - amount;
    if (left > 0) this.#used.set(key, left);
    else this.#used.delete(key);
    this.#usedTotal = Math.max(0, this.#usedTotal - amount);
  }

  usedBy(key: string): number {
    return this.#used.get(key) ?? 0;
  }

  get used(): number {
    return this.#usedTotal;
  }
}
