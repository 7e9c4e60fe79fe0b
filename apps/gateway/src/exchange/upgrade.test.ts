import { once } from 'node:events';
import { createServer as createHttpServer, type Server } from 'node:http';
import { type AddressInfo, connect, createServer as createTcpServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { ClusterUpstream } from '../upstream/index.js';
import { upgradeExchange } from './upgrade.js';

/**
 * A cluster that keeps the connection as HTTP after refusing an upgrade (as Go's net/http does)
 * must never receive what the client sent behind the upgrade request: it would read it as a
 * further request, sent with the gateway's credentials.
 */

const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

/** A raw upstream that records every byte and answers the first request head as told. */
async function rawUpstream(answer: string) {
  let received = '';
  const server = createTcpServer((socket) => {
    closers.push(() => socket.destroy());
    let answered = false;
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      if (!answered && received.includes('\r\n\r\n')) {
        answered = true;
        socket.write(answer);
      }
    });
    socket.on('error', () => undefined);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  closers.push(() => server.close());
  const upstream: ClusterUpstream = {
    name: 'raw',
    url: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    dispatcher: undefined as never,
    tlsOptions: () => ({}),
    authHeaders: async () => ({ authorization: 'Bearer cluster-credential' }),
    close: async () => undefined,
  };
  return { upstream, received: () => received };
}

/** A front that forwards every upgrade, as the pipeline does once the policy allowed it. */
async function front(upstream: ClusterUpstream): Promise<number> {
  const server: Server = createHttpServer();
  server.on('upgrade', (req, socket, head) => {
    void upgradeExchange(req, socket, head).forward(
      upstream,
      { cluster: 'raw', path: req.url ?? '/', query: '' },
      undefined,
    );
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  closers.push(() => server.closeAllConnections());
  closers.push(() => server.close());
  return (server.address() as AddressInfo).port;
}

const UPGRADE =
  'GET /api/v1/namespaces/dev/pods/x/exec HTTP/1.1\r\nHost: gw\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n';
const SMUGGLED = 'DELETE /api/v1/namespaces/prod HTTP/1.1\r\nHost: gw\r\nContent-Length: 0\r\n\r\n';

async function client(port: number, parts: string[]): Promise<string> {
  const socket: Socket = connect(port, '127.0.0.1');
  closers.push(() => socket.destroy());
  await once(socket, 'connect');
  let answer = '';
  socket.on('data', (chunk: Buffer) => {
    answer += chunk.toString('latin1');
    const next = parts.shift();
    if (next) socket.write(next);
  });
  socket.write(parts.shift()!);
  await new Promise((resolve) => setTimeout(resolve, 300));
  return answer;
}

describe('upgradeExchange.forward', () => {
  it('sends nothing after the request head when the upstream refuses the upgrade', async () => {
    for (const parts of [[`${UPGRADE}${SMUGGLED}`], [UPGRADE, SMUGGLED]]) {
      const raw = await rawUpstream('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
      const answer = await client(await front(raw.upstream), parts);
      expect(answer).toMatch(/^HTTP\/1\.1 404/);
      expect(raw.received()).toContain('GET /api/v1/namespaces/dev/pods/x/exec');
      expect(raw.received()).not.toContain('DELETE');
    }
  });

  it('delivers bytes sent early once the upstream switched protocols', async () => {
    const raw = await rawUpstream(
      'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n',
    );
    const answer = await client(await front(raw.upstream), [`${UPGRADE}early-frame`, 'later-frame']);
    expect(answer).toMatch(/^HTTP\/1\.1 101/);
    expect(raw.received()).toMatch(/\r\n\r\nearly-framelater-frame$/);
  });
});
