import { STATUS_CODES } from 'node:http';
import { escapeInvisible } from '@gatehouse/policy';

/** The `reason` values of a Kubernetes `Status` the gateway sends. */
export type StatusReason =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'RequestEntityTooLarge'
  | 'TooManyRequests'
  | 'Timeout'
  | 'UnsupportedMediaType'
  | 'Conflict'
  | 'ServiceUnavailable'
  | 'InternalError';

/** A Kubernetes `Status` object: the only error shape kubectl and client-go print well. */
export interface KubeStatus {
  readonly kind: 'Status';
  readonly apiVersion: 'v1';
  readonly metadata: Record<string, never>;
  readonly status: 'Failure';
  readonly reason: StatusReason;
  readonly code: number;
  readonly message: string;
  readonly details?:
    | {
        readonly name?: string;
        readonly kind?: string;
        /** Also sent as `Retry-After`: client-go waits that long and retries a 429 (up to 10 times). */
        readonly retryAfterSeconds?: number;
      }
    | undefined;
}

const CODES: Record<StatusReason, number> = {
  BadRequest: 400,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  Conflict: 409,
  RequestEntityTooLarge: 413,
  TooManyRequests: 429,
  // The client's upload stalled (HTTP 408); Kubernetes' own Timeout (504) is the server being slow.
  Timeout: 408,
  UnsupportedMediaType: 415,
  InternalError: 500,
  ServiceUnavailable: 503,
};

export function kubeStatus(
  reason: StatusReason,
  message: string,
  details?: KubeStatus['details'],
): KubeStatus {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    reason,
    code: CODES[reason],
    // kubectl prints the message to a terminal: a control sequence or U+202E from a request or a
    // Slack user (a deny reason) is shown as its escape, never acted on.
    message: escapeInvisible(message),
    ...(details ? { details } : {}),
  };
}

/** Longest reason phrase sent; status lines stay well inside every client's header limits. */
export const MAX_REASON_PHRASE = 200;

/**
 * The reason phrase of an upgrade's refusal: the standard phrase, then the Status message.
 * WebSocket libraries never read a refused handshake's body (Python's websocket-client raises
 * "Handshake status 403 <phrase>" with body None) but do show the phrase, so the agent sees why.
 * RFC 9112 §4 allows HTAB / SP / VCHAR / obs-text; this keeps to printable ASCII (anything else,
 * CR and LF included, becomes a \u escape) and cuts at MAX_REASON_PHRASE with "...".
 */
export function reasonPhrase(status: KubeStatus): string {
  const standard = STATUS_CODES[status.code] ?? 'Error';
  const ascii = status.message
    .replace(/\s+/g, ' ')
    .replace(/[^\x20-\x7e]/gu, asciiEscape)
    .trim();
  const phrase = ascii ? `${standard}: ${ascii}` : standard;
  return phrase.length <= MAX_REASON_PHRASE ? phrase : `${phrase.slice(0, MAX_REASON_PHRASE - 3)}...`;
}

/** `\u2014` as escapeInvisible writes it; beyond the BMP `\u{1F600}`. */
function asciiEscape(char: string): string {
  const code = char.codePointAt(0)!;
  const hex = code.toString(16).toUpperCase();
  return code > 0xffff ? `\\u{${hex}}` : `\\u${hex.padStart(4, '0')}`;
}

/**
 * The status as a complete raw HTTP/1.1 response, for upgrade sockets where no
 * ServerResponse exists. `Connection: close` because the socket is not reused. The reason
 * phrase carries a short form of the message (reasonPhrase); the body keeps the full Status.
 */
export function rawStatusResponse(status: KubeStatus): string {
  const body = JSON.stringify(status);
  return (
    `HTTP/1.1 ${status.code} ${reasonPhrase(status)}\r\n` +
    'Content-Type: application/json\r\n' +
    (retryAfter(status) ? `Retry-After: ${retryAfter(status)}\r\n` : '') +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    'Connection: close\r\n\r\n' +
    body
  );
}

/** The `Retry-After` header value a status asks for, if any. */
export function retryAfter(status: KubeStatus): string | undefined {
  const seconds = status.details?.retryAfterSeconds;
  return seconds === undefined ? undefined : String(seconds);
}
