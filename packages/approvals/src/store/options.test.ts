import { describe, expect, it } from 'vitest';
import { ApprovalsErrorCode, InvalidOptionsError } from '../errors.js';
import { resolveOptions } from './options.js';

const good = { redis: 'redis://127.0.0.1:6379', prefix: 'gatehouse', requestTtlMs: 1000, grantTtlMs: 1000 };

describe('resolveOptions', () => {
  it('fills the defaults', () => {
    const resolved = resolveOptions(good);
    expect(resolved).toMatchObject({
      retainMs: 7 * 24 * 3600 * 1000,
      sweepIntervalMs: 1000,
      pollIntervalMs: 5000,
      connectRetryWindowMs: 60_000,
    });
    expect(resolved.clock.now()).toBeGreaterThan(0);
  });

  it.each([
    [{ prefix: '' }, 'prefix'],
    [{ prefix: 'has space' }, 'prefix'],
    [{ prefix: 'a:b' }, 'prefix'],
    [{ requestTtlMs: 0 }, 'requestTtlMs'],
    [{ grantTtlMs: -1 }, 'grantTtlMs'],
    [{ grantTtlMs: 1.5 }, 'grantTtlMs'],
    [{ sweepIntervalMs: -5 }, 'sweepIntervalMs'],
    [{ connectRetryWindowMs: -1 }, 'connectRetryWindowMs'],
  ])('rejects %o naming %s', (bad, field) => {
    expect(() => resolveOptions({ ...good, ...bad })).toThrow(InvalidOptionsError);
    expect(() => resolveOptions({ ...good, ...bad })).toThrow(field);
    try {
      resolveOptions({ ...good, ...bad });
      expect.unreachable();
    } catch (error) {
      expect((error as InvalidOptionsError).code).toBe(ApprovalsErrorCode.InvalidOptions);
    }
  });

  it('allows turning the sweeper off', () => {
    expect(resolveOptions({ ...good, sweepIntervalMs: 0 }).sweepIntervalMs).toBe(0);
  });

  it('allows turning the repeated refusal of connect retries off', () => {
    expect(resolveOptions({ ...good, connectRetryWindowMs: 0 }).connectRetryWindowMs).toBe(0);
  });
});
