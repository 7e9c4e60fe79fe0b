import { describe, expect, it, vi } from 'vitest';
import type { ApprovalChange } from './types.js';
import { DecisionWaiters } from './waiters.js';

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

describe('DecisionWaiters', () => {
  it('holds one feed subscription for any number of waiters and wakes only those of the changed id', () => {
    const s = sources(new Map());
    const waiters = new DecisionWaiters(s.value);
    const woken: string[] = [];
    const removers = Array.from({ length: 1000 }, (_, i) =>
      waiters.add(`a${i % 10}`, () => woken.push(`a${i % 10}`)),
    );
    expect(s.listeners.size).toBe(1);
    s.emit('a3', 'pending');
    s.emit('a3', 'approved');
    expect(woken).toEqual(Array(100).fill('a3'));
    for (const remove of removers) remove();
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
      const removeA = waiters.add('a', () => woken.push('a'));
      const removeB = waiters.add('b', () => woken.push('b'));
      await vi.advanceTimersByTimeAsync(1000);
      expect(s.reads).toEqual([['a', 'b']]);
      expect(woken).toEqual(['b']);
      removeA();
      removeB();
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
      const remove = new DecisionWaiters(stuckOnce).add('a', () => woken.push('a'));
      await vi.advanceTimersByTimeAsync(2000);
      expect(woken).toEqual(['a']);
      remove();
    } finally {
      vi.useRealTimers();
    }
  });
});
