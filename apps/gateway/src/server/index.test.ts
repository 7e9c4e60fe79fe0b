import type { AddressInfo } from 'node:net';
import { connect, type TLSSocket } from 'node:tls';
import { createTestCa, issueServerCert } from '@gatehouse/testkit/ca';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayContext } from '../ports.js';
import { createGatewayServer, type GatewayServer } from './index.js';

describe('gateway HTTPS server', () => {
  const ca = createTestCa('gateway-server-ca');
  const cert = issueServerCert(ca, { hosts: ['127.0.0.1'] });
  let gateway: GatewayServer;
  let port: number;

  beforeAll(async () => {
    // No request is sent: the handshake alone is under test.
    gateway = createGatewayServer({} as GatewayContext, {
      tls: { cert: Buffer.from(cert.certPem), key: Buffer.from(cert.keyPem) },
      ready: async () => true,
    });
    await new Promise<void>((resolve) => gateway.server.listen(0, '127.0.0.1', resolve));
    port = (gateway.server.address() as AddressInfo).port;
  });
  afterAll(() => gateway.close());

  const handshake = (ALPNProtocols?: string[]) =>
    new Promise<TLSSocket>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, ca: ca.certPem, ALPNProtocols });
      socket.once('secureConnect', () => resolve(socket));
      socket.once('error', reject);
    });

  it('negotiates HTTP/1.1 by ALPN when the client offers it among others (kubectl offers h2 first)', async () => {
    const socket = await handshake(['h2', 'http/1.1']);
    expect(socket.alpnProtocol).toBe('http/1.1');
    socket.destroy();
  });

  it('accepts a client that sends no ALPN', async () => {
    const socket = await handshake();
    expect(socket.alpnProtocol).toBe(false);
    socket.destroy();
  });

  it('refuses a client that offers only protocols it does not speak', async () => {
    await expect(handshake(['h2'])).rejects.toThrow(/no application protocol/i);
  });
});
