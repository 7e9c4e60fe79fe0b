import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { type KubeUpstream, pod, startKubeUpstream } from './index.js';

/** What a channel-protocol client receives: [channel, payload] per message, until the server closes. */
async function forward(
  upstream: KubeUpstream,
  query: string,
  protocol: string,
  send: (ws: WebSocket) => void,
): Promise<{ messages: [number, Buffer][]; closeCode: number }> {
  const ws = new WebSocket(
    `wss://127.0.0.1:${upstream.port}/api/v1/namespaces/default/pods/web-1/portforward?${query}`,
    protocol,
    {
      ca: upstream.caPem,
      headers: { Authorization: 'Bearer t' },
    },
  );
  const messages: [number, Buffer][] = [];
  const base64 = protocol.includes('base64');
  ws.on('message', (data: Buffer) => {
    const channel = base64 ? data[0]! - 0x30 : data[0]!;
    const payload = base64 ? Buffer.from(data.subarray(1).toString(), 'base64') : data.subarray(1);
    messages.push([channel, Buffer.from(payload)]);
  });
  await once(ws, 'open');
  send(ws);
  const [closeCode] = (await once(ws, 'close')) as [number];
  return { messages, closeCode };
}

const GET = (path: string) => `GET ${path} HTTP/1.0\r\nHost: pod\r\n\r\n`;

describe('kube-upstream serves port-forward over the WebSocket channel protocol (client-node, Python)', () => {
  let upstream: KubeUpstream;
  let web: Server;

  beforeAll(async () => {
    upstream = await startKubeUpstream();
    web = createServer((req, res) => res.end(`pod answered ${req.url}\n`));
    web.listen(0, '127.0.0.1');
    await once(web, 'listening');
  });
  afterAll(async () => {
    await upstream.close();
    web.close();
  });
  beforeEach(() => {
    upstream.reset();
    upstream.podPorts.clear();
    upstream.store.put(pod({ name: 'web-1' }));
    upstream.podPorts.expose('default', 'web-1', 8080, {
      host: '127.0.0.1',
      port: (web.address() as AddressInfo).port,
    });
  });

  it.each(['v4.channel.k8s.io', 'v4.base64.channel.k8s.io'])(
    '%s: the port first on both channels, the pod answer on the data channel, a closed port on its error channel, then a normal close',
    async (protocol) => {
      const { messages, closeCode } = await forward(upstream, 'ports=8080,9090', protocol, (ws) => {
        const request = Buffer.from(GET('/hello'));
        ws.send(
          protocol.includes('base64')
            ? `0${request.toString('base64')}`
            : Buffer.concat([Buffer.from([0]), request]),
        );
      });
      const port = (n: number) => Buffer.from([n & 0xff, n >> 8]);
      expect(messages.slice(0, 4)).toEqual([
        [0, port(8080)],
        [1, port(8080)],
        [2, port(9090)],
        [3, port(9090)],
      ]);
      const on = (channel: number) =>
        Buffer.concat(
          messages
            .slice(4)
            .filter(([c]) => c === channel)
            .map(([, data]) => data),
        ).toString();
      expect(on(0)).toMatch(/^HTTP\/1\.1 200 OK[\s\S]*pod answered \/hello\n$/);
      expect(on(3)).toMatch(/^error forwarding port 9090 to pod web-1, uid .*connection refused$/);
      expect(on(1)).toBe('');
      expect(closeCode).toBe(1000);
      expect(upstream.portForwardSessions.map((s) => [s.transport, s.port, s.requestId])).toEqual([
        ['websocket', 8080, '0'],
        ['websocket', 9090, '2'],
      ]);
      expect(upstream.portForwardSessions[0]?.sent).toBe(GET('/hello'));
    },
  );

  it('refuses a WebSocket port-forward without ports, or with a protocol it does not speak, before switching', async () => {
    const refused = (query: string, protocol: string) =>
      new Promise<number>((resolve, reject) => {
        const ws = new WebSocket(
          `wss://127.0.0.1:${upstream.port}/api/v1/namespaces/default/pods/web-1/portforward?${query}`,
          protocol,
          { ca: upstream.caPem },
        );
        ws.on('unexpected-response', (_, res) => resolve(res.statusCode ?? 0));
        ws.on('open', () => reject(new Error('the upgrade was accepted')));
      });
    expect(await refused('', 'v4.channel.k8s.io')).toBe(400);
    expect(await refused('ports=8080', 'v9.channel.k8s.io')).toBe(400);
    expect(upstream.portForwardSessions).toEqual([]);
  });
});
