import { describe, expect, it } from 'vitest';
import { refreshing } from './refresh.js';

function manualClock(start = 0) {
  let now = start;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('refreshing', () => {
  it('loads once for concurrent callers and serves the cache until refreshAt', async () => {
    const clock = manualClock();
    let loads = 0;
    const get = refreshing(async () => ({ value: ++loads, refreshAt: clock.now() + 1000 }), clock);

    expect(await Promise.all([get(), get(), get()])).toEqual([1, 1, 1]);
    clock.advance(999);
    expect(await get()).toBe(1);
    clock.advance(1);
    expect(await get()).toBe(2);
    expect(loads).toBe(2);
  });

  it('does not cache a failure', async () => {
    const clock = manualClock();
    let attempt = 0;
    const get = refreshing(async () => {
      attempt += 1;
      if (attempt === 1) throw new Error('STS down');
      return { value: 'ok', refreshAt: Number.POSITIVE_INFINITY };
    }, clock);

    await expect(get()).rejects.toThrow('STS down');
    expect(await get()).toBe('ok');
  });
});
