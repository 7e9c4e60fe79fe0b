import { signedHeaders } from '@gatehouse/testkit/slack-api';
import { describe, expect, it } from 'vitest';
import { createRequestGuard, type SeenStore } from './index.js';

const secret = 'guard-secret';
const NOW = 1_750_000_000_000;

function memorySeen(): SeenStore {
  const seen = new Set<string>();
  return {
    firstSeen: async (key) => {
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    },
  };
}

const guard = () => createRequestGuard({ signingSecret: secret, seen: memorySeen(), now: () => NOW });
const body = Buffer.from('payload=%7B%7D');
const at = (offsetSeconds: number) => Math.floor(NOW / 1000) + offsetSeconds;

describe('request guard', () => {
  it('accepts a correctly signed fresh request once, and rejects its replay', async () => {
    const check = guard();
    const headers = signedHeaders(body.toString(), { signingSecret: secret, timestampSeconds: at(-10) });
    expect(await check(headers, body)).toEqual({ ok: true });
    expect(await check(headers, body)).toEqual({ ok: false, rejection: 'replayed' });
  });

  it.each([
    ['unsigned', {}, 'unsigned'],
    [
      'wrong secret',
      signedHeaders(body.toString(), { signingSecret: 'other', timestampSeconds: at(0) }),
      'bad-signature',
    ],
    ['stale', signedHeaders(body.toString(), { signingSecret: secret, timestampSeconds: at(-301) }), 'stale'],
    [
      'future',
      signedHeaders(body.toString(), { signingSecret: secret, timestampSeconds: at(301) }),
      'future',
    ],
    [
      'non-numeric timestamp',
      { 'x-slack-signature': 'v0=00', 'x-slack-request-timestamp': '1e9' },
      'bad-signature',
    ],
    [
      'truncated signature',
      {
        ...signedHeaders(body.toString(), { signingSecret: secret, timestampSeconds: at(0) }),
        'x-slack-signature': 'v0=ab',
      },
      'bad-signature',
    ],
  ] as const)('rejects %s', async (_name, headers, rejection) => {
    expect(await guard()(headers, body)).toEqual({ ok: false, rejection });
  });

  it('rejects a body changed after signing', async () => {
    const headers = signedHeaders(body.toString(), { signingSecret: secret, timestampSeconds: at(0) });
    expect(await guard()(headers, Buffer.from('payload=%7B%22x%22%7D'))).toEqual({
      ok: false,
      rejection: 'bad-signature',
    });
  });

  it('does not remember rejected requests (a forged signature cannot block the real one)', async () => {
    const check = guard();
    const real = signedHeaders(body.toString(), { signingSecret: secret, timestampSeconds: at(0) });
    expect(await check(real, Buffer.from('tampered'))).toEqual({ ok: false, rejection: 'bad-signature' });
    expect(await check(real, body)).toEqual({ ok: true });
  });
});
