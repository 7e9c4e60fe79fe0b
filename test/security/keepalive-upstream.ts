import { once } from 'node:events';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { issueServerCert, sharedTestCa } from '@gatehouse/testkit/ca';

/**
 * A cluster stand-in that behaves like Go's net/http where the testkit upstream does not: a
 * refused upgrade is answered like any request and the connection stays open for the next one,
 * so bytes a client pipelines behind an upgrade would be read as a new request. It answers
 * everything 404 and records every request line it parsed.
 */
export interface KeepAliveUpstream {
  readonly url: string;
  readonly caPem: string;
  readonly requests: { method: string; path: string; headers: Record<string, unknown> }[];
  close(): Promise<void>;
}

export async function startKeepAliveUpstream(): Promise<KeepAliveUpstream> {
  const cert = issueServerCert(sharedTestCa(), { hosts: ['127.0.0.1', 'localhost'] });
  const requests: KeepAliveUpstream['requests'] = [];
  // No 'upgrade' listener: Node then serves an upgrade request as an ordinary one and keeps the connection.
  const server: Server = createServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
    requests.push({ method: req.method ?? '', path: req.url ?? '', headers: { ...req.headers } });
    req.resume();
    const body = JSON.stringify({
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      code: 404,
      reason: 'NotFound',
    });
    res.writeHead(404, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    caPem: cert.caPem,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
