import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { SpdyServerSession } from './spdy-session.js';

/** A refusal of the upgrade, answered as plain text as the kubelet's http.Error does. */
interface UpgradeRefusal {
  readonly status: number;
  readonly message: string;
  readonly headers?: Record<string, string[]>;
}

/**
 * Picks the stream protocol as k8s.io/apimachinery/pkg/util/httpstream Handshake does: the
 * first of the client's X-Stream-Protocol-Version values (in its order) that the server speaks;
 * none in common is a 403 naming both lists, with X-Accepted-Stream-Protocol-Versions.
 */
function negotiateStreamProtocol(
  req: IncomingMessage,
  serverProtocols: readonly string[],
): { protocol: string } | { refusal: UpgradeRefusal } {
  const offered = (req.headersDistinct['x-stream-protocol-version'] ?? [])
    .flatMap((value) => value.split(','))
    .map((value) => value.trim())
    .filter(Boolean);
  if (offered.length === 0) {
    return { refusal: { status: 400, message: 'unable to upgrade: X-Stream-Protocol-Version is required' } };
  }
  const protocol = offered.find((p) => serverProtocols.includes(p));
  if (protocol) return { protocol };
  return {
    refusal: {
      status: 403,
      message:
        `unable to upgrade: unable to negotiate protocol: client supports [${offered.join(' ')}], ` +
        `server accepts [${serverProtocols.join(' ')}]`,
      headers: { 'X-Accepted-Stream-Protocol-Versions': [...serverProtocols] },
    },
  };
}

/** Whether the request asks for SPDY/3.1 the way spdy.responseUpgrader checks it (Connection and Upgrade). */
export function asksForSpdy(req: IncomingMessage): boolean {
  const connection = String(req.headers.connection ?? '').toLowerCase();
  const upgrade = String(req.headers.upgrade ?? '').toLowerCase();
  return connection.includes('upgrade') && upgrade.includes('spdy/3.1');
}

function refuseUpgrade(socket: Duplex, refusal: UpgradeRefusal): void {
  const body = `${refusal.message}\n`;
  const extra = Object.entries(refusal.headers ?? {})
    .flatMap(([name, values]) => values.map((value) => `${name}: ${value}\r\n`))
    .join('');
  const reason = refusal.status === 403 ? 'Forbidden' : 'Bad Request';
  socket.end(
    `HTTP/1.1 ${refusal.status} ${reason}\r\n${extra}Content-Type: text/plain; charset=utf-8\r\n` +
      `X-Content-Type-Options: nosniff\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/**
 * Switches the connection to SPDY/3.1 as spdy.responseUpgrader.UpgradeResponse does: a 101 with
 * `Connection: Upgrade`, `Upgrade: SPDY/3.1` and the negotiated X-Stream-Protocol-Version.
 */
function upgradeToSpdy(socket: Duplex, head: Buffer, protocol: string): SpdyServerSession {
  socket.write(
    'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n' +
      `X-Stream-Protocol-Version: ${protocol}\r\n\r\n`,
  );
  const session = new SpdyServerSession(socket);
  if (head.length > 0) socket.unshift(head);
  return session;
}

/**
 * How long the server waits for the client to open the streams it expects; the kubelet's
 * streamCreationTimeout defaults to 30 seconds.
 */
export const STREAM_CREATION_TIMEOUT_MS = 30_000;

/**
 * The kubelet's opening of a SPDY stream session: checks the upgrade headers, negotiates the
 * stream protocol and switches; a refusal is answered and yields undefined.
 */
export function acceptSpdy(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  serverProtocols: readonly string[],
): { spdy: SpdyServerSession; protocol: string } | undefined {
  if (!asksForSpdy(req)) {
    refuseUpgrade(socket, {
      status: 400,
      message:
        'unable to upgrade: missing upgrade headers in request (Connection: Upgrade, Upgrade: SPDY/3.1)',
    });
    return undefined;
  }
  const negotiated = negotiateStreamProtocol(req, serverProtocols);
  if ('refusal' in negotiated) {
    refuseUpgrade(socket, negotiated.refusal);
    return undefined;
  }
  return { spdy: upgradeToSpdy(socket, head, negotiated.protocol), protocol: negotiated.protocol };
}
