import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { CaUnreadableError, CredentialsFailedError } from './errors.js';

const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/**
 * A cluster CA (PEM, one certificate or a bundle), every certificate parsed here: Node's TLS
 * silently skips CA text it cannot read, so a pasted-wrong CA would otherwise start cleanly and
 * fail as a TLS error on the first request. `source` says where it came from, for the message.
 */
export function checkedCa(cluster: string, pem: string | Buffer, source: string): string {
  const text = typeof pem === 'string' ? pem : pem.toString('utf8');
  const blocks = text.match(CERTIFICATE_BLOCK) ?? [];
  if (blocks.length === 0) {
    throw new CaUnreadableError(cluster, source, new Error('no "-----BEGIN CERTIFICATE-----" block'));
  }
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch (error) {
      throw new CaUnreadableError(cluster, source, error);
    }
  }
  return text;
}

/**
 * A client certificate and its key: both present, both readable, and the key the certificate's
 * (the first certificate of a chain is the client's own). Checked at start-up for the same reason
 * as the CA: otherwise the first request fails with a TLS error that names neither.
 */
export function checkClientCertificate(
  cluster: string,
  cert: string | Buffer | undefined,
  key: string | Buffer | undefined,
  source: string,
): void {
  if (cert === undefined && key === undefined) return;
  if (cert === undefined)
    throw new CredentialsFailedError(cluster, `${source} has a client key but no client certificate`);
  if (key === undefined)
    throw new CredentialsFailedError(cluster, `${source} has a client certificate but no client key`);
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(cert);
  } catch (error) {
    throw new CredentialsFailedError(
      cluster,
      `the client certificate of ${source} is not a PEM certificate`,
      error,
    );
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key);
  } catch (error) {
    throw new CredentialsFailedError(cluster, `the client key of ${source} is not a PEM private key`, error);
  }
  if (!certificate.checkPrivateKey(privateKey)) {
    throw new CredentialsFailedError(
      cluster,
      `the client key of ${source} does not belong to its client certificate (${certificate.subject.replace(/\n/g, ', ')})`,
    );
  }
}
