import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { GatewayErrorCode } from '../errors.js';
import { certificateHosts, ensureSelfSigned, loadKeyPair, watchKeyPair } from './index.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-tls-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function peerFingerprint(port: number, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', ca, servername: 'localhost' }, () => {
      resolve(socket.getPeerX509Certificate()?.fingerprint256 ?? '');
      socket.end();
    });
    socket.on('error', reject);
  });
}

describe('ensureSelfSigned', () => {
  it('creates a CA and a server certificate for the hosts once, then reuses them', async () => {
    const dir = await tempDir();
    const hosts = certificateHosts(['gateway.internal', '0.0.0.0', '10.1.2.3']);
    const first = await ensureSelfSigned(dir, hosts);
    expect(first.created).toBe(true);
    const ca = new X509Certificate(await readFile(first.caFile));
    const cert = new X509Certificate(await readFile(first.certFile));
    expect(ca.ca).toBe(true);
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(cert.checkHost('gateway.internal')).toBe('gateway.internal');
    expect(cert.checkHost('localhost')).toBe('localhost');
    expect(cert.checkIP('10.1.2.3')).toBe('10.1.2.3');
    expect(cert.checkIP('0.0.0.0')).toBeUndefined();

    const second = await ensureSelfSigned(dir, hosts);
    expect(second.created).toBe(false);
    expect(new X509Certificate(await readFile(second.certFile)).fingerprint256).toBe(cert.fingerprint256);
  });
});

describe('loadKeyPair', () => {
  it('names the file it cannot read', async () => {
    const dir = await tempDir();
    await expect(
      loadKeyPair({ certFile: join(dir, 'missing.crt'), keyFile: join(dir, 'k') }),
    ).rejects.toMatchObject({
      code: GatewayErrorCode.TlsUnreadable,
      message: expect.stringContaining('missing.crt'),
    });
  });

  it('refuses a certificate with a key that does not belong to it', async () => {
    const a = await ensureSelfSigned(await tempDir(), ['localhost']);
    const b = await ensureSelfSigned(await tempDir(), ['localhost']);
    await expect(loadKeyPair({ certFile: a.certFile, keyFile: b.keyFile })).rejects.toMatchObject({
      code: GatewayErrorCode.TlsUnreadable,
    });
  });
});

describe('watchKeyPair', () => {
  it('serves a replaced certificate to new connections without a restart', async () => {
    const dir = await tempDir();
    const files = await ensureSelfSigned(dir, ['localhost']);
    const initial = await loadKeyPair(files);
    const server: Server = createServer(initial, (_req, res) => res.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const port = (server.address() as AddressInfo).port;
    const logs: string[] = [];
    const logger = {
      info: (_: object, msg?: string) => logs.push(`info ${msg}`),
      warn: (_: object, msg?: string) => logs.push(`warn ${msg}`),
    };
    const stop = watchKeyPair(files, initial, (pair) => server.setSecureContext(pair), logger, 20);
    cleanups.push(stop);

    const ca = await readFile(files.caFile, 'utf8');
    const before = await peerFingerprint(port, ca);
    expect(before).toBe(new X509Certificate(initial.cert).fingerprint256);

    // A half-written pair (new cert, old key) is refused and the old one kept.
    const other = await ensureSelfSigned(await tempDir(), ['localhost']);
    await writeFile(files.certFile, await readFile(other.certFile));
    await expect.poll(() => logs.some((line) => line.startsWith('warn'))).toBe(true);
    expect(await peerFingerprint(port, ca)).toBe(before);

    await writeFile(files.keyFile, await readFile(other.keyFile));
    const otherCa = await readFile(other.caFile, 'utf8');
    const expected = new X509Certificate(await readFile(other.certFile)).fingerprint256;
    await expect
      .poll(() => peerFingerprint(port, otherCa).catch(() => 'old'), { timeout: 10_000 })
      .toBe(expected);
  });
});
