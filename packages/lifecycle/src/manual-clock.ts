import type { Clock } from './clock.js';

/**
 * A clock a test moves by hand, so expiries, grants and sweeps happen when the test says, never by
 * sleeping. `now` is a bound property: passing `clock.now` on its own works too.
 */
export class ManualClock implements Clock {
  #current: number;

  constructor(start = 1_800_000_000_000) {
    this.#current = start;
  }

  now = (): number => this.#current;

  advance(ms: number): void {
    this.#current += ms;
  }

  set(ms: number): void {
    this.#current = ms;
  }
}
