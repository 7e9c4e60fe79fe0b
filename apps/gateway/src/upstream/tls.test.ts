import { once } from 'node:events';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { issueServerCert, sharedTestCa } from '@gatehouse/testkit/ca';
import { expect, it } from 'vitest';
import { clusterTls } from './tls.js';

it("keeps an idle connection to a cluster past undici's 4 s default when the server sends no Keep-Alive hint", async () => {
  const cert = issueServerCert(sharedTestCa(), { hosts: ['127.0.0.1'] });
  const server = createServer({ key: cert.keyPem, cert: cert.certPem }, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{}');
  });
  // Go's server, the API server's, sends no Keep-Alive header; Node's does unless this is 0.
  server.keepAliveTimeout = 0;
  let opened = 0;
  server.on('secureConnection', () => {
    opened += 1;
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = new URL(`https://127.0.0.1:${(server.address() as AddressInfo).port}`);
  const { dispatcher } = clusterTls(url, { ca: sharedTestCa().certPem, rejectUnauthorized: true });
  try {
    const get = async () => {
      const response = await dispatcher.request({ origin: url.origin, path: '/api', method: 'GET' });
      expect(response.headers['keep-alive']).toBeUndefined();
      await response.body.text();
    };
    await get();
    // Past undici's default idle timeout (4 s, checked on a 1 s tick), well inside the gateway's.
    await sleep(5_500);
    await get();
    expect(opened).toBe(1);
  } finally {
    await dispatcher.close();
    server.closeAllConnections();
    server.close();
  }
});
