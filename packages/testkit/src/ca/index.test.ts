import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { connect, createServer } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { serialNumber } from './certs.js';
import { createTestCa, issueClientCert, issueServerCert, sharedTestCa, writeKubeconfig } from './index.js';

async function handshake(
  serverCert: { certPem: string; keyPem: string },
  options: { ca: string; host: string; servername?: string },
): Promise<void> {
  const server = createServer({ cert: serverCert.certPem, key: serverCert.keyPem }, (socket) => socket.end());
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  try {
    await new Promise<void>((resolve, reject) => {
      const socket = connect({ port, host: options.host, ca: options.ca, servername: options.servername });
      socket.once('secureConnect', () => {
        socket.end();
        resolve();
      });
      socket.once('error', reject);
    });
  } finally {
    server.close();
  }
}

describe('test CA', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0)) cleanup();
  });

  it('issues a server certificate trusted for its IP and DNS SANs', async () => {
    const ca = sharedTestCa();
    const cert = issueServerCert(ca, { hosts: ['127.0.0.1', 'localhost', 'gateway.test'] });
    await handshake(cert, { ca: ca.certPem, host: '127.0.0.1' });
    await handshake(cert, { ca: ca.certPem, host: '127.0.0.1', servername: 'localhost' });
    await handshake(cert, { ca: ca.certPem, host: '127.0.0.1', servername: 'gateway.test' });
    const sans = new X509Certificate(cert.certPem).subjectAltName;
    expect(sans).toContain('IP Address:127.0.0.1');
    expect(sans).toContain('DNS:gateway.test');
  });

  it('is refused by a client that trusts another CA, or for a host not in its SANs', async () => {
    const cert = issueServerCert(sharedTestCa());
    await expect(handshake(cert, { ca: createTestCa().certPem, host: '127.0.0.1' })).rejects.toThrow(
      /self-signed|unable to verify|unable to get/,
    );
    await expect(
      handshake(cert, { ca: sharedTestCa().certPem, host: '127.0.0.1', servername: 'other.test' }),
    ).rejects.toThrow(/altnames|Hostname/);
  });

  it('issues a client certificate with the user in CN and groups in O, signed by the CA', () => {
    const ca = sharedTestCa();
    const cert = issueClientCert(ca, { commonName: 'alice', organization: ['system:masters', 'devs'] });
    const x509 = new X509Certificate(cert.certPem);
    expect(x509.subject).toContain('CN=alice');
    expect(x509.subject).toContain('O=system:masters');
    expect(x509.subject).toContain('O=devs');
    expect(x509.verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);
    expect(x509.verify(new X509Certificate(createTestCa().certPem).publicKey)).toBe(false);
  });

  it('uses serial numbers Go accepts: positive and minimally encoded (no leading zero byte)', () => {
    for (let i = 0; i < 2000; i++) {
      const serial = serialNumber();
      expect(serial).toMatch(/^[0-9a-f]{32}$/);
      const first = Number.parseInt(serial.slice(0, 2), 16);
      expect(first).toBeGreaterThan(0);
      expect(first).toBeLessThan(0x80);
    }
    const cert = new X509Certificate(issueServerCert(sharedTestCa()).certPem);
    expect(cert.serialNumber).toMatch(/^[0-7][0-9A-F]{31}$/);
    expect(cert.serialNumber.startsWith('00')).toBe(false);
  });

  it('returns the same shared CA within a process', () => {
    expect(sharedTestCa()).toBe(sharedTestCa());
  });

  it('writes a kubeconfig carrying the server, CA data and token', () => {
    const ca = sharedTestCa();
    const written = writeKubeconfig({
      server: 'https://127.0.0.1:1234',
      caPem: ca.certPem,
      credentials: { token: 'tok-1' },
    });
    cleanups.push(written.cleanup);
    const config = JSON.parse(readFileSync(written.path, 'utf8'));
    expect(config.clusters[0].cluster.server).toBe('https://127.0.0.1:1234');
    expect(Buffer.from(config.clusters[0].cluster['certificate-authority-data'], 'base64').toString()).toBe(
      ca.certPem,
    );
    expect(config.users[0].user).toEqual({ token: 'tok-1' });
  });
});
