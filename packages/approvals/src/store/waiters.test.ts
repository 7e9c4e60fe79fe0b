import { describe, expect, it, vi } from 'vitest';
import type { ApprovalChange } from './types.js';
import { DecisionWaiters, type Waiter } from './waiters.js';

/** A waiter recording its wakes; `deadlineMs` from now (performance.now()). */
function waiter(id: string, woken: string[], deadlineMs = 60_000): Waiter {
  return {
    id,
    deadline: performance.now() + deadlineMs,
    wake: (atDeadline) => woken.push(atDeadline ? `${id}@deadline` : id),
  };
}

function sources(states: Map<string, string>) {
  const listeners = new Set<(change: ApprovalChange) => void>();
  const reads: string[][] = [];
  return {
    listeners,
    reads,
    emit: (id: string, state: string) => {
      for (const listener of listeners) listener({ id, state } as ApprovalChange);
    },
    value: {
      onChange(listener: (change: ApprovalChange) => void) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      async readStates(ids: readonly string[]) {
        reads.push([...ids]);
        return ids.map((id) => states.get(id));
      },
      pollIntervalMs: 1000,
      onError: (error: Error) => {
        throw error;
      },
    },
  };
}

/** Runs `test` on waiters under fake timers and a fake `performance` clock (deadlines read it), polling rarely. */
async function withDeadlineClock(test: (waiters: DecisionWaiters) => Promise<void>): Promise<void> {
  vi.useFakeTimers({
    toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'performance'],
  });
  try {
    await test(new DecisionWaiters({ ...sources(new Map()).value, pollIntervalMs: 60_000 }));
  } finally {
    vi.useRealTimers();
  }
}

describe('DecisionWaiters', () => {
  it('holds one feed subscription for any number of waiters and wakes only those of the changed id', () => {
    const s = sources(new Map());
    const waiters = new DecisionWaiters(s.value);
    const woken: string[] = [];
    const all = Array.from({ length: 1000 }, (_, i) => waiter(`a${i % 10}`, woken));
    for (const w of all) waiters.add(w);
    expect(s.listeners.size).toBe(1);
    s.emit('a3', 'pending');
    s.emit('a3', 'approved');
    expect(woken).toEqual(Array(100).fill('a3'));
    for (const w of all) waiters.remove(w);
    expect(s.listeners.size).toBe(0);
  });

  it('polls every waited id in one read and wakes those no longer pending (a lost pub/sub message)', async () => {
    vi.useFakeTimers();
    try {
      const states = new Map([
        ['a', 'pending'],
        ['b', 'denied'],
      ]);
      const s = sources(states);
      const waiters = new DecisionWaiters(s.value);
      const woken: string[] = [];
      const [a, b] = [waiter('a', woken), waiter('b', woken)];
      waiters.add(a);
      waiters.add(b);
      await vi.advanceTimersByTimeAsync(1000);
      expect(s.reads).toEqual([['a', 'b']]);
      expect(woken).toEqual(['b']);
      waiters.remove(a);
      waiters.remove(b);
      await vi.advanceTimersByTimeAsync(5000);
      expect(s.reads).toHaveLength(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it('polls again while an earlier read is stuck (a read caught in a failover must not stop the waking)', async () => {
    vi.useFakeTimers();
    try {
      const s = sources(new Map([['a', 'approved']]));
      let calls = 0;
      const stuckOnce = {
        ...s.value,
        readStates: (ids: readonly string[]) =>
          ++calls === 1 ? new Promise<(string | undefined)[]>(() => {}) : s.value.readStates(ids),
      };
      const woken: string[] = [];
      const waiters = new DecisionWaiters(stuckOnce);
      const a = waiter('a', woken);
      waiters.add(a);
      await vi.advanceTimersByTimeAsync(2000);
      expect(woken).toEqual(['a']);
      waiters.remove(a);
    } finally {
      vi.useRealTimers();
    }
  });

  it('wakes each waiter once at its deadline, earliest first, from one timer for all of them', async () => {
    await withDeadlineClock(async (waiters) => {
      const woken: string[] = [];
      const late = waiter('late', woken, 3000);
      const early = waiter('early', woken, 1000);
      const gone = waiter('gone', woken, 2000);
      const same = Array.from({ length: 100 }, () => waiter('same', woken, 2000));
      for (const w of [late, early, gone, ...same]) waiters.add(w);
      // One deadline timer and the poll, however many wait.
      expect(vi.getTimerCount()).toBe(2);
      waiters.remove(gone);
      await vi.advanceTimersByTimeAsync(999);
      expect(woken).toEqual([]);
      await vi.advanceTimersByTimeAsync(1);
      expect(woken).toEqual(['early@deadline']);
      await vi.advanceTimersByTimeAsync(1000);
      expect(woken).toEqual(['early@deadline', ...Array(100).fill('same@deadline')]);
      await vi.advanceTimersByTimeAsync(5000);
      expect(woken).toEqual(['early@deadline', ...Array(100).fill('same@deadline'), 'late@deadline']);
      // Woken at their deadline, they stay subscribed until they remove themselves; then nothing is left.
      for (const w of [late, early, ...same]) waiters.remove(w);
      expect(vi.getTimerCount()).toBe(0);
    });
  });

  it('re-arms for the new earliest deadline when a waiter with an earlier one is added or the first leaves', async () => {
    await withDeadlineClock(async (waiters) => {
      const woken: string[] = [];
      const slow = waiter('slow', woken, 10_000);
      waiters.add(slow);
      const quick = waiter('quick', woken, 100);
      waiters.add(quick);
      await vi.advanceTimersByTimeAsync(100);
      expect(woken).toEqual(['quick@deadline']);
      const first = waiter('first', woken, 500);
      waiters.add(first);
      waiters.remove(first);
      await vi.advanceTimersByTimeAsync(1000);
      expect(woken).toEqual(['quick@deadline']);
      await vi.advanceTimersByTimeAsync(9000);
      expect(woken).toEqual(['quick@deadline', 'slow@deadline']);
    });
  });
});
