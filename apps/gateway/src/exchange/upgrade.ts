import type { IncomingMessage } from 'node:http';
import { connect as connectTcp, isIP, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import { connect as connectTls } from 'node:tls';
import { upstreamRequestHeaders } from '../headers/index.js';
import { type KubeStatus, kubeStatus, rawStatusResponse } from '../kube-status/index.js';
import { upstreamTarget } from '../routing/index.js';
import type { ClusterUpstream } from '../upstream/index.js';
import type { Exchange, ForwardResult } from './types.js';

const STATUS_LINE = /^HTTP\/1\.[01] (\d{3})/;
/** A client waiting for its upgrade has no reason to send much; past this it is cut off. */
const MAX_EARLY_BYTES = 64 * 1024;
const CONNECT_TIMEOUT_MS = 15_000;

function openUpstreamSocket(upstream: ClusterUpstream): Promise<Socket> {
  const { hostname, protocol } = upstream.url;
  const host = hostname.replace(/^\[|\]$/g, '');
  const port = Number(upstream.url.port) || (protocol === 'https:' ? 443 : 80);
  return new Promise<Socket>((resolve, reject) => {
    const socket =
      protocol === 'https:'
        ? connectTls(
            // Upgrades are HTTP/1.1 only; ALPN says so in case the server prefers h2.
            {
              host,
              port,
              servername: isIP(host) ? undefined : host,
              ALPNProtocols: ['http/1.1'],
              ...upstream.tlsOptions(),
            },
            () => resolve(socket),
          )
        : connectTcp({ host, port }, () => resolve(socket));
    socket.once('error', reject);
    socket.setTimeout(CONNECT_TIMEOUT_MS, () =>
      socket.destroy(new Error(`no connection after ${CONNECT_TIMEOUT_MS / 1000} s`)),
    );
  }).then((socket) => socket.setTimeout(0));
}

function requestHead(method: string, target: string, headers: Record<string, string | string[]>): string {
  const lines = [`${method} ${target} HTTP/1.1`];
  for (const [name, value] of Object.entries(headers)) {
    for (const item of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${item}`);
  }
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/**
 * An upgrade request (exec, attach, port-forward over WebSocket or SPDY). Once allowed the
 * bytes are piped both ways untouched, which keeps every subprotocol and version working.
 */
export function upgradeExchange(req: IncomingMessage, socket: Duplex, head: Buffer): Exchange {
  const controller = new AbortController();
  // Read (and keep) whatever the client sends while the request is decided or held: a
  // reading socket is how a client's hang-up is noticed during a long hold.
  const early: Buffer[] = head.length > 0 ? [head] : [];
  let earlyBytes = head.length;
  const collect = (chunk: Buffer) => {
    earlyBytes += chunk.length;
    if (earlyBytes > MAX_EARLY_BYTES) socket.destroy();
    else early.push(chunk);
  };
  socket.on('data', collect);
  socket.on('error', () => controller.abort());
  socket.on('close', () => controller.abort());
  const method = (req.method ?? 'GET').toUpperCase();
  let sent: number | undefined;

  const reject = (status: KubeStatus) => {
    socket.off('data', collect);
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    sent = status.code;
    socket.end(rawStatusResponse(status));
  };

  return {
    kind: 'upgrade',
    remoteAddress: req.socket.remoteAddress,
    method,
    target: req.url ?? '/',
    headers: req.headers,
    signal: controller.signal,
    get status() {
      return sent;
    },

    async readBody() {
      return undefined;
    },

    reject,

    async forward(upstream, route, _body, tap): Promise<ForwardResult> {
      const started = performance.now();
      const elapsed = () => Math.round(performance.now() - started);
      let upstreamSocket: Socket;
      try {
        const headers = {
          ...upstreamRequestHeaders(req.headers, { upgrade: true }),
          host: upstream.url.host,
          ...(await upstream.authHeaders()),
        };
        upstreamSocket = await openUpstreamSocket(upstream);
        upstreamSocket.write(requestHead(method, upstreamTarget(upstream.url, route), headers));
      } catch (error) {
        if (controller.signal.aborted) return { outcome: 'aborted' };
        const message = (error as Error).message;
        reject(
          kubeStatus(
            'ServiceUnavailable',
            `cluster ${upstream.name} (${upstream.url.origin}) did not answer: ${message}`,
          ),
        );
        return { outcome: 'failed', error: message, durationMs: elapsed() };
      }
      if (controller.signal.aborted) {
        upstreamSocket.destroy();
        return { outcome: 'aborted' };
      }
      const closeBoth = () => {
        socket.destroy();
        upstreamSocket.destroy();
      };
      upstreamSocket.on('error', closeBoth);
      upstreamSocket.on('close', closeBoth);
      socket.on('close', closeBoth);

      // The first bytes back carry the status line (101, or the upstream's refusal); record it, then pipe.
      // Until the upstream has switched protocols, nothing the client sent after the request head goes
      // upstream: on a refusal the connection is still HTTP there, and those bytes would be read as a
      // further request, sent with the gateway's credentials and never judged.
      return new Promise((resolve) => {
        upstreamSocket.once('data', (first: Buffer) => {
          const status = Number(STATUS_LINE.exec(first.toString('latin1', 0, 16))?.[1] ?? 0);
          sent = status;
          socket.write(first);
          upstreamSocket.pipe(socket);
          socket.off('data', collect);
          if (status === 101) {
            for (const chunk of early.splice(0)) {
              tap?.fromClient(chunk);
              upstreamSocket.write(chunk);
            }
            if (tap) {
              tap.fromUpstream(first);
              socket.on('data', (chunk: Buffer) => tap.fromClient(chunk));
              upstreamSocket.on('data', (chunk: Buffer) => tap.fromUpstream(chunk));
            }
            socket.pipe(upstreamSocket);
          } else {
            // Refused: the client reads the answer; the upstream gets nothing more, and sees the end.
            early.length = 0;
            socket.resume();
            upstreamSocket.end();
          }
          resolve({ outcome: 'response', status, durationMs: elapsed() });
        });
        upstreamSocket.once('close', () => {
          resolve({
            outcome: 'failed',
            error: 'upstream closed the upgrade without answering',
            durationMs: elapsed(),
          });
        });
      });
    },
  };
}
