import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header each batch carries when the sink has `hmacSecretEnv`. */
export const SIGNATURE_HEADER = 'gatehouse-signature';

/**
 * `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`: the time is signed with the body, so a
 * receiver can refuse a captured batch replayed later (the scheme Stripe and Slack use).
 */
export function signBatch(secret: string, body: string, unixSeconds: number): string {
  return `t=${unixSeconds},v1=${hmac(secret, unixSeconds, body)}`;
}

/**
 * What a receiver runs: true when `header` signs `body` with `secret` and its time is within
 * `toleranceSeconds` of `nowSeconds`. Constant-time comparison.
 */
export function verifyBatchSignature(
  secret: string,
  header: string | undefined,
  body: string,
  nowSeconds: number,
  toleranceSeconds = 300,
): boolean {
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? '');
  if (!match) return false;
  const time = Number(match[1]);
  if (Math.abs(nowSeconds - time) > toleranceSeconds) return false;
  const expected = Buffer.from(hmac(secret, time, body), 'hex');
  return timingSafeEqual(expected, Buffer.from(match[2]!, 'hex'));
}

function hmac(secret: string, unixSeconds: number, body: string): string {
  return createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
}
