import { createTestCa, issueClientCert, sharedTestCa } from '@gatehouse/testkit/ca';
import { describe, expect, it } from 'vitest';
import { UpstreamErrorCode } from './errors.js';
import { checkClientCertificate, checkedCa } from './tls-material.js';

const source = 'certificate-authority-data of cluster "kind" (context "kind-admin", kubeconfig /k)';
/** The body of a certificate block with a few characters flipped: still PEM-shaped, no longer DER. */
const corrupted = sharedTestCa().certPem.replace(/(BEGIN CERTIFICATE-----\r?\n).{8}/, '$1AAAAAAAA');

describe('checkedCa', () => {
  it('accepts a certificate and a bundle, as Buffer or string', () => {
    const bundle = `${sharedTestCa().certPem}\n# second root\n${createTestCa('other root').certPem}`;
    expect(checkedCa('prod', bundle, source)).toBe(bundle);
    expect(checkedCa('prod', Buffer.from(sharedTestCa().certPem), source)).toBe(sharedTestCa().certPem);
  });

  it.each([
    ['garbage', 'not a certificate at all'],
    ['random bytes', Buffer.from([0x30, 0x82, 0x01, 0x00, 0xde, 0xad])],
    ['a corrupted certificate', corrupted],
    ['a bundle whose second certificate is corrupted', `${sharedTestCa().certPem}${corrupted}`],
    ['a private key', sharedTestCa().keyPem],
  ])('refuses %s, naming the cluster and where the CA came from', (_what, pem) => {
    expect(() => checkedCa('prod', pem, source)).toThrowError(
      expect.objectContaining({
        code: UpstreamErrorCode.CaUnreadable,
        message: expect.stringMatching(/^cluster prod: .*context "kind-admin"/),
      }),
    );
  });
});

describe('checkClientCertificate', () => {
  const client = issueClientCert(sharedTestCa(), { commonName: 'gatehouse-upstream' });
  const user = 'user "admin" (context "kind-admin", kubeconfig /k)';

  it('accepts no client certificate, and a certificate with its own key', () => {
    expect(() => checkClientCertificate('prod', undefined, undefined, user)).not.toThrow();
    expect(() =>
      checkClientCertificate('prod', client.certPem, Buffer.from(client.keyPem), user),
    ).not.toThrow();
  });

  it.each([
    ['a key that is not the certificate’s', client.certPem, sharedTestCa().keyPem, /does not belong/],
    ['a certificate without a key', client.certPem, undefined, /no client key/],
    ['a key without a certificate', undefined, client.keyPem, /no client certificate/],
    ['a garbage certificate', 'garbage', client.keyPem, /client certificate .* is not a PEM certificate/],
    ['a garbage key', client.certPem, 'garbage', /client key .* is not a PEM private key/],
  ])('refuses %s, naming the cluster and the user', (_what, cert, key, reason) => {
    expect(() => checkClientCertificate('prod', cert, key, user)).toThrowError(
      expect.objectContaining({
        code: UpstreamErrorCode.CredentialsFailed,
        message: expect.stringMatching(/^cluster prod: .*context "kind-admin"/),
      }),
    );
    expect(() => checkClientCertificate('prod', cert, key, user)).toThrow(reason);
  });
});
