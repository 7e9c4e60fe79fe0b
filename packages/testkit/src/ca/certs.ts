import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import forge from 'node-forge';

/** A throwaway certificate authority; `certPem` is what a kubeconfig's certificate-authority-data holds. */
export interface TestCa {
  readonly certPem: string;
  readonly keyPem: string;
}

/** A PEM certificate and its private key, signed by a {@link TestCa}. */
export interface IssuedCert {
  readonly certPem: string;
  readonly keyPem: string;
  /** The issuing CA's certificate, for the peer's trust store. */
  readonly caPem: string;
}

export interface ServerCertOptions {
  /** IP addresses and DNS names the certificate is valid for. @defaultValue ['127.0.0.1', 'localhost'] */
  hosts?: readonly string[];
  /** @defaultValue the first host */
  commonName?: string;
  /** @defaultValue 7 */
  validDays?: number;
}

export interface ClientCertOptions {
  /** Kubernetes reads the user name from the CN. */
  commonName: string;
  /** Kubernetes reads the groups from O; several values give several groups. */
  organization?: string | readonly string[];
  /** @defaultValue 7 */
  validDays?: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * RSA keys come from node:crypto (native, ~50 ms) rather than forge's pure-JS generator (seconds);
 * forge then only builds and signs the certificates.
 */
function generateKeys(): forge.pki.KeyPair {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const key = forge.pki.privateKeyFromPem(pem);
  return { privateKey: key, publicKey: forge.pki.setRsaPublicKey(key.n, key.e) };
}

/**
 * 16 random bytes as a DER INTEGER that Go's strict parser (kubectl) accepts: positive (top bit
 * clear) and minimal (first byte non-zero, so no leading 0x00 is needed or allowed).
 */
export function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x01;
  return bytes.toString('hex');
}

function newCertificate(publicKey: forge.pki.PublicKey, validDays: number): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = serialNumber();
  const now = Date.now();
  // Backdated a minute so a peer with a slightly different clock still accepts it.
  cert.validity.notBefore = new Date(now - 60_000);
  cert.validity.notAfter = new Date(now + validDays * DAY_MS);
  return cert;
}

function sign(cert: forge.pki.Certificate, key: forge.pki.PrivateKey): string {
  cert.sign(key as forge.pki.rsa.PrivateKey, forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}

/** Creates a fresh CA. Prefer {@link sharedTestCa} unless the test needs a CA nobody else trusts. */
export function createTestCa(commonName = 'gatehouse-test-ca'): TestCa {
  const keys = generateKeys();
  const cert = newCertificate(keys.publicKey, 30);
  const subject = [{ name: 'commonName', value: commonName }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  return { certPem: sign(cert, keys.privateKey), keyPem: forge.pki.privateKeyToPem(keys.privateKey) };
}

let shared: TestCa | undefined;
let leaf: forge.pki.KeyPair | undefined;

/**
 * Server and client certificates share one key pair per process: a certificate's trust comes from
 * its CA's signature, not from its key being unique, and skipping key generation makes issuing
 * ~10x faster. CAs always get fresh keys, so a CA nobody trusts stays untrusted.
 */
function leafKeys(): forge.pki.KeyPair {
  leaf ??= generateKeys();
  return leaf;
}

/** One CA per process: key generation is the slow part, and tests rarely need separate roots. */
export function sharedTestCa(): TestCa {
  shared ??= createTestCa('gatehouse-shared-test-ca');
  return shared;
}

function issue(
  ca: TestCa,
  subject: forge.pki.CertificateField[],
  extensions: object[],
  validDays: number,
): IssuedCert {
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const caKey = forge.pki.privateKeyFromPem(ca.keyPem);
  const keys = leafKeys();
  const cert = newCertificate(keys.publicKey, validDays);
  cert.setSubject(subject);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
    ...extensions,
  ]);
  return {
    certPem: sign(cert, caKey),
    keyPem: forge.pki.privateKeyToPem(keys.privateKey),
    caPem: ca.certPem,
  };
}

/** A TLS server certificate whose SANs hold each host: IP entries for addresses, DNS entries for names. */
export function issueServerCert(ca: TestCa, options: ServerCertOptions = {}): IssuedCert {
  const hosts = options.hosts ?? ['127.0.0.1', 'localhost'];
  const altNames = hosts.map((host) => (isIP(host) ? { type: 7, ip: host } : { type: 2, value: host }));
  return issue(
    ca,
    [{ name: 'commonName', value: options.commonName ?? hosts[0] ?? 'localhost' }],
    [
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames },
    ],
    options.validDays ?? 7,
  );
}

/** A TLS client certificate in the shape the Kubernetes API server maps to a user (CN) and groups (O). */
export function issueClientCert(ca: TestCa, options: ClientCertOptions): IssuedCert {
  const organizations =
    options.organization === undefined
      ? []
      : typeof options.organization === 'string'
        ? [options.organization]
        : options.organization;
  return issue(
    ca,
    [
      { name: 'commonName', value: options.commonName },
      ...organizations.map((value) => ({ name: 'organizationName', value })),
    ],
    [{ name: 'extKeyUsage', clientAuth: true }],
    options.validDays ?? 7,
  );
}
