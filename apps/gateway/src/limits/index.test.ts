import { describe, expect, it } from 'vitest';
import { Budget, bodyLease } from './index.js';

describe('Budget', () => {
  it('caps each key and the total, and takes nothing when it refuses', () => {
    const budget = new Budget({ total: 5, perKey: 3 });
    expect(budget.take('a', 3)).toBe('ok');
    expect(budget.take('a', 1)).toBe('per-key');
    expect(budget.take('b', 2)).toBe('ok');
    expect(budget.take('c', 1)).toBe('total');
    expect([budget.usedBy('a'), budget.usedBy('b'), budget.usedBy('c'), budget.used]).toEqual([3, 2, 0, 5]);
    budget.give('a', 3);
    expect(budget.take('c', 1)).toBe('ok');
    expect(budget.used).toBe(3);
  });
});

describe('bodyLease', () => {
  it('gives back everything it took, once', () => {
    const budget = new Budget({ total: 10, perKey: 6 });
    const lease = bodyLease(budget, 'agent');
    expect(lease.reserve(4)).toBe(true);
    expect(lease.reserve(4)).toBe(false);
    expect(lease.refusedBy).toBe('per-key');
    expect(budget.usedBy('agent')).toBe(4);
    lease.release();
    lease.release();
    expect(budget.used).toBe(0);
  });
});
