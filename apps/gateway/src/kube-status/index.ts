import { STATUS_CODES } from 'node:http';
import { escapeInvisible } from '@gatehouse/policy';

/** The `reason` values of a Kubernetes `Status` the gateway sends. */
export type StatusReason =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'RequestEntityTooLarge'
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
  readonly details?: { readonly name?: string; readonly kind?: string } | undefined;
}

const CODES: Record<StatusReason, number> = {
  BadRequest: 400,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  Conflict: 409,
  RequestEntityTooLarge: 413,
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

/**
 * The status as a complete raw HTTP/1.1 response, for upgrade sockets where no
 * ServerResponse exists. `Connection: close` because the socket is not reused.
 */
export function rawStatusResponse(status: KubeStatus): string {
  const body = JSON.stringify(status);
  return (
    `HTTP/1.1 ${status.code} ${STATUS_CODES[status.code] ?? 'Error'}\r\n` +
    'Content-Type: application/json\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    'Connection: close\r\n\r\n' +
    body
  );
}
