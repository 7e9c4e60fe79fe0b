import { createHmac } from 'node:crypto';

/** Slack's v0 request signature: `v0=` + HMAC-SHA256(secret, `v0:<timestamp>:<raw body>`) in hex. */
export function slackSignature(signingSecret: string, timestampSeconds: number, body: string): string {
  const digest = createHmac('sha256', signingSecret).update(`v0:${timestampSeconds}:${body}`).digest('hex');
  return `v0=${digest}`;
}

export interface SignOptions {
  readonly signingSecret: string;
  /** Unix seconds; defaults to now. Set it more than five minutes back to forge a stale request. */
  readonly timestampSeconds?: number;
}

/** The headers Slack sends with a form-encoded interactive request or slash command. */
export function signedHeaders(body: string, options: SignOptions): Record<string, string> {
  const timestamp = options.timestampSeconds ?? Math.floor(Date.now() / 1000);
  return {
    'content-type': 'application/x-www-form-urlencoded',
    'x-slack-request-timestamp': String(timestamp),
    'x-slack-signature': slackSignature(options.signingSecret, timestamp, body),
  };
}

export interface PostedResponse {
  readonly status: number;
  readonly text: string;
}

/**
 * POSTs a form body to a Slack app the way Slack does. `headers` replaces the signed headers,
 * so a test can send no signature, a wrong one, or a stale one.
 */
export async function postToSlackApp(
  url: string,
  body: string,
  options: SignOptions | { readonly headers: Record<string, string> },
): Promise<PostedResponse> {
  const headers = 'headers' in options ? options.headers : signedHeaders(body, options);
  const response = await fetch(url, { method: 'POST', headers, body });
  return { status: response.status, text: await response.text() };
}
