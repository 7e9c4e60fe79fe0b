import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** Why a request to the Slack endpoint was turned away before Bolt saw it. */
export type Rejection = 'unsigned' | 'bad-signature' | 'stale' | 'future' | 'replayed';

export type Verdict = { readonly ok: true } | { readonly ok: false; readonly rejection: Rejection };

/** Remembers signatures already accepted; `firstSeen` is atomic (Redis SET NX), shared by all replicas. */
export interface SeenStore {
  /** True the first time `key` is offered within `ttlMs`, false on every later offer. */
  firstSeen(key: string, ttlMs: number): Promise<boolean>;
}

export interface RequestGuardOptions {
  readonly signingSecret: string;
  readonly seen: SeenStore;
  /** Slack's documented window. @defaultValue 300 */
  readonly maxSkewSeconds?: number;
  readonly now?: () => number;
}

const header = (headers: Readonly<Record<string, string | string[] | undefined>>, name: string) => {
  const value = headers[name];
  return typeof value === 'string' ? value : undefined;
};

/**
 * Checks a request to the Slack endpoint before Bolt does (Bolt checks again): a v0 signature over
 * `v0:<timestamp>:<body>` compared in constant time, a timestamp within five minutes either way
 * (Bolt only rejects old ones), and no signature accepted twice, so a captured request cannot be
 * replayed inside the window.
 */
export function createRequestGuard(options: RequestGuardOptions) {
  const maxSkew = options.maxSkewSeconds ?? 300;
  const now = options.now ?? Date.now;
  return async function check(
    headers: Readonly<Record<string, string | string[] | undefined>>,
    rawBody: Buffer,
  ): Promise<Verdict> {
    const signature = header(headers, 'x-slack-signature');
    const timestampText = header(headers, 'x-slack-request-timestamp');
    if (!signature || !timestampText) return { ok: false, rejection: 'unsigned' };
    const timestamp = Number(timestampText);
    if (!/^\d{1,12}$/.test(timestampText) || !Number.isSafeInteger(timestamp)) {
      return { ok: false, rejection: 'bad-signature' };
    }
    const nowSeconds = Math.floor(now() / 1000);
    if (timestamp < nowSeconds - maxSkew) return { ok: false, rejection: 'stale' };
    if (timestamp > nowSeconds + maxSkew) return { ok: false, rejection: 'future' };
    const expected = Buffer.from(
      `v0=${createHmac('sha256', options.signingSecret).update(`v0:${timestampText}:`).update(rawBody).digest('hex')}`,
    );
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return { ok: false, rejection: 'bad-signature' };
    }
    // Only valid signatures are remembered, so junk cannot fill the store; kept past the window.
    const key = createHash('sha256').update(signature).digest('hex');
    if (!(await options.seen.firstSeen(key, 2 * maxSkew * 1000))) return { ok: false, rejection: 'replayed' };
    return { ok: true };
  };
}
