import { generateKeyPairSync } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import forge from 'node-forge';
import { serialNumber } from './serial.js';

/** Where a self-signed setup keeps its files; agents' kubeconfigs embed `caFile`. */
export interface SelfSignedFiles {
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
}

export function selfSignedFiles(dir: string): SelfSignedFiles {
  return { caFile: join(dir, 'ca.crt'), certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key') };
}

const CA_KEY = 'ca.key';
const DAY_MS = 86_400_000;

function newKeyPair(): { privateKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey } {
  // Node's native generator: forge's pure-JS one takes seconds for 2048 bits.
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });
  const key = forge.pki.privateKeyFromPem(privateKey) as forge.pki.rsa.PrivateKey;
  return { privateKey: key, publicKey: forge.pki.setRsaPublicKey(key.n, key.e) };
}

function baseCertificate(publicKey: forge.pki.PublicKey, years: number): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = serialNumber();
  cert.validity.notBefore = new Date(Date.now() - DAY_MS);
  cert.validity.notAfter = new Date(Date.now() + years * 365 * DAY_MS);
  return cert;
}

function issue(hosts: readonly string[]): { ca: string; caKey: string; cert: string; key: string } {
  const caKeys = newKeyPair();
  const ca = baseCertificate(caKeys.publicKey, 10);
  const caName = [{ name: 'commonName', value: 'Gatehouse gateway local CA' }];
  ca.setSubject(caName);
  ca.setIssuer(caName);
  ca.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  ca.sign(caKeys.privateKey, forge.md.sha256.create());

  const serverKeys = newKeyPair();
  const cert = baseCertificate(serverKeys.publicKey, 2);
  cert.setSubject([{ name: 'commonName', value: hosts[0] ?? 'localhost' }]);
  cert.setIssuer(caName);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: hosts.map((host) => (isIP(host) ? { type: 7, ip: host } : { type: 2, value: host })),
    },
  ]);
  cert.sign(caKeys.privateKey, forge.md.sha256.create());

  return {
    ca: forge.pki.certificateToPem(ca),
    caKey: forge.pki.privateKeyToPem(caKeys.privateKey),
    cert: forge.pki.certificateToPem(cert),
    key: forge.pki.privateKeyToPem(serverKeys.privateKey),
  };
}

/**
 * Makes sure `dir` holds a CA and a server certificate signed by it for `hosts`, creating
 * them on first start and reusing them after, so agents' kubeconfigs stay valid.
 */
export async function ensureSelfSigned(
  dir: string,
  hosts: readonly string[],
): Promise<SelfSignedFiles & { readonly created: boolean }> {
  const files = selfSignedFiles(dir);
  if (existsSync(files.caFile) && existsSync(files.certFile) && existsSync(files.keyFile)) {
    return { ...files, created: false };
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const issued = issue(hosts);
  await writeFile(join(dir, CA_KEY), issued.caKey, { mode: 0o600 });
  await writeFile(files.keyFile, issued.key, { mode: 0o600 });
  await writeFile(files.certFile, issued.cert);
  await writeFile(files.caFile, issued.ca);
  // mode on writeFile is ignored for files that already existed; make sure keys are private.
  await chmod(join(dir, CA_KEY), 0o600);
  await chmod(files.keyFile, 0o600);
  return { ...files, created: true };
}

/** The names a generated certificate covers: loopback, this host, and what the config names. */
export function certificateHosts(extra: readonly (string | undefined)[]): string[] {
  const hosts = new Set(['localhost', '127.0.0.1', '::1']);
  for (const host of extra) {
    if (host && host !== '0.0.0.0' && host !== '::') hosts.add(host.replace(/^\[|\]$/g, ''));
  }
  return [...hosts];
}
