import { type IncomingMessage, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { parseRequestTarget } from './go-url.js';
import { bearerTokenOf } from './http.js';
import type { RecordedRequest } from './recorder.js';

export interface ClientCertSubject {
  commonName: string;
  organizations: string[];
}

/** What the upstream accepts; a request failing a check is recorded and answered 401 `Status`. */
export interface KubeUpstreamAuth {
  /** The only token accepted, or a predicate over the token sent (undefined when none was). */
  bearerToken?: string | ((token: string | undefined, request: RecordedRequest) => boolean);
  /** A predicate over the client certificate subject (undefined when none was presented). */
  clientCert?: (subject: ClientCertSubject | undefined) => boolean;
}

function clientCertOf(req: IncomingMessage): ClientCertSubject | undefined {
  const socket = req.socket as TLSSocket;
  if (typeof socket.getPeerCertificate !== 'function') return undefined;
  const subject = socket.getPeerCertificate()?.subject;
  if (!subject?.CN) return undefined;
  const o = subject.O as string | string[] | undefined;
  return { commonName: String(subject.CN), organizations: o === undefined ? [] : Array.isArray(o) ? o : [o] };
}

export function recordOf(req: IncomingMessage, body: Buffer, upgrade: boolean): RecordedRequest {
  const target = parseRequestTarget(req.url ?? '/');
  return {
    method: req.method ?? 'GET',
    path: target.path,
    query: target.query,
    headers: req.headers,
    headersDistinct: req.headersDistinct,
    bearerToken: bearerTokenOf(req.headers.authorization),
    clientCert: clientCertOf(req),
    body,
    upgrade,
    receivedAt: new Date(),
    status: undefined,
  };
}

export function authorized(auth: KubeUpstreamAuth | undefined, recorded: RecordedRequest): boolean {
  const expected = auth?.bearerToken;
  if (typeof expected === 'string' && recorded.bearerToken !== expected) return false;
  if (typeof expected === 'function' && !expected(recorded.bearerToken, recorded)) return false;
  if (auth?.clientCert && !auth.clientCert(recorded.clientCert)) return false;
  return true;
}

/** Answers an upgrade request on its raw socket (no ServerResponse exists for upgrades). */
export function rawResponse(socket: Duplex, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
  );
}
