import { setTimeout as sleep } from 'node:timers/promises';
import { TestkitError, TestkitErrorCode } from '../errors.js';

/**
 * Polls `check` until it returns a truthy value and returns that value; fails after `timeoutMs`
 * with a message naming `what`. For waiting on output or state, never for asserting speed.
 */
export async function waitUntil<T>(
  what: string,
  check: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) {
      throw new TestkitError(TestkitErrorCode.WaitTimeout, `still waiting for ${what} after ${timeoutMs} ms`);
    }
    await sleep(25);
  }
}
