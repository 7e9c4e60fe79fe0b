import * as crypto from 'node:crypto';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { bearerToken, createStaticTokenCheck, hashToken } from '../../apps/gateway/src/auth/index.js';

/**
 * Timing cannot be asserted reliably on a shared CI machine, so the constant-time property is
 * proven on the code path instead: every check runs timingSafeEqual once per agent, over two
 * 32-byte SHA-256 digests, whether the token matches the first agent, the last, or none.
 */

vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  return { ...actual, timingSafeEqual: vi.fn(actual.timingSafeEqual) };
});

const compare = vi.mocked(crypto.timingSafeEqual);
const tokens = ['gh_first', 'gh_second', 'gh_third'];
const check = createStaticTokenCheck(
  tokens.map((token, i) => ({ id: `agent-${i}`, tokenSha256: hashToken(token) })),
);

describe('token comparison (security)', () => {
  beforeEach(() => {
    compare.mockClear();
  });

  it.each([
    ['the first agent', 'Bearer gh_first', 'agent-0'],
    ['the last agent', 'Bearer gh_third', 'agent-2'],
    ['no agent', 'Bearer gh_nobody', undefined],
    ['a token sharing a prefix', 'Bearer gh_firs', undefined],
    ['no token', undefined, undefined],
  ])('%s: timingSafeEqual over fixed-length digests for every agent', (_, header, agent) => {
    expect(check(bearerToken(header))?.id).toBe(agent);
    expect(compare).toHaveBeenCalledTimes(tokens.length);
    for (const [a, b] of compare.mock.calls) {
      expect((a as Buffer).length).toBe(32);
      expect((b as Buffer).length).toBe(32);
    }
  });
});
