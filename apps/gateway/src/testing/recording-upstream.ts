import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { Agent } from 'undici';
import type { ClusterUpstream } from '../upstream/index.js';

export interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  /** Every header line kept apart (`headers` joins repeated ones with commas). */
  readonly headersDistinct: IncomingMessage['headersDistinct'];
  readonly body: string;
}

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

/**
 * A plain-HTTP upstream for pipeline tests: records every request (upgrades included),
 * answers with `handler`, and echoes upgraded bytes back prefixed with `echo:`.
 */
export async function startRecordingUpstream(handler?: Handler) {
  const received: Received[] = [];
  const closed: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      received.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        headersDistinct: req.headersDistinct,
        body,
      });
      res.on('close', () => closed.push(req.url ?? ''));
      if (handler) handler(req, res, body);
      else {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ kind: 'Status', status: 'Success', method: req.method, url: req.url }));
      }
    });
  });
  const upgraded = new Set<Duplex>();
  server.on('upgrade', (req: IncomingMessage, socket: Duplex) => {
    upgraded.add(socket);
    received.push({
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      headersDistinct: req.headersDistinct,
      body: '',
    });
    socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
    socket.on('data', (chunk: Buffer) => socket.write(`echo:${chunk.toString()}`));
  });
  let opened = 0;
  server.on('connection', () => {
    opened += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  const dispatcher = new Agent();
  const upstream: ClusterUpstream = {
    name: 'test',
    url,
    dispatcher,
    tlsOptions: () => ({}),
    authHeaders: async () => ({ authorization: 'Bearer upstream-credential' }),
    close: async () => dispatcher.close(),
  };
  let stopped: Promise<void> | undefined;
  return {
    upstream,
    received,
    closed,
    /** TCP connections the upstream has accepted so far: whether the gateway reuses them. */
    connectionsOpened: () => opened,
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        for (const socket of upgraded) socket.destroy();
      }).then(() => dispatcher.close());
      return stopped;
    },
  };
}
