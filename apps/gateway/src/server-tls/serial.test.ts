import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import { describe, expect, it } from 'vitest';
import { serialNumber } from './serial.js';

/** What is wrong with the DER INTEGER node-forge writes for this serial, as Go's x509 would judge it. */
function derProblem(serialHex: string): string | undefined {
  const { INTEGER } = forge.asn1.Type;
  const der = forge.asn1
    .toDer(forge.asn1.create(forge.asn1.Class.UNIVERSAL, INTEGER, false, forge.util.hexToBytes(serialHex)))
    .getBytes();
  const content = Buffer.from(der.slice(2), 'binary');
  const [first = 0, second = 0] = content;
  if (der.charCodeAt(0) !== INTEGER || der.charCodeAt(1) !== content.length) return 'not a short INTEGER';
  if (content.length > 20) return 'longer than 20 octets';
  if (first & 0x80) return 'negative';
  if (content.length > 1 && first === 0 && (second & 0x80) === 0) return 'not minimal';
  if (content.every((byte) => byte === 0)) return 'zero';
  return undefined;
}

describe('serialNumber', () => {
  it('finds the faults it is meant to rule out (the old "00" + random bytes form among them)', () => {
    expect(derProblem(`0000${'7f'.repeat(15)}`)).toBe('not minimal');
    expect(derProblem(`80${'00'.repeat(15)}`)).toBe('negative');
    expect(derProblem('00'.repeat(16))).toBe('not minimal');
    expect(derProblem(`01${'00'.repeat(20)}`)).toBe('longer than 20 octets');
    expect(derProblem(`00${'ff'.repeat(16)}`)).toBeUndefined();
  });

  it('is a positive, minimal, non-zero DER INTEGER for every value of the first two random bytes', () => {
    const problems: string[] = [];
    for (const fill of [0x00, 0x80, 0xff]) {
      for (let first = 0; first < 256; first++) {
        for (let second = 0; second < 256; second++) {
          const random = Buffer.alloc(16, fill);
          random[0] = first;
          random[1] = second;
          const serial = serialNumber(random);
          const problem = derProblem(serial);
          if (problem) problems.push(`${serial}: ${problem}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('is well-formed and different for 10,000 drawn serials', () => {
    const serials = Array.from({ length: 10_000 }, () => serialNumber());
    expect(serials.filter((serial) => derProblem(serial) !== undefined)).toEqual([]);
    expect(new Set(serials).size).toBe(serials.length);
  });

  it('leaves the caller’s random bytes untouched', () => {
    const random = Buffer.alloc(16, 0xff);
    expect(serialNumber(random)).toBe(`7f${'ff'.repeat(15)}`);
    expect(random).toEqual(Buffer.alloc(16, 0xff));
  });

  it('gives certificates OpenSSL reads back with the same, positive serial', () => {
    const { privateKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
      publicKeyEncoding: { type: 'pkcs1', format: 'pem' },
    });
    const key = forge.pki.privateKeyFromPem(privateKey) as forge.pki.rsa.PrivateKey;
    for (const fill of [0x00, 0x7f, 0x80, 0xff]) {
      const serial = serialNumber(Buffer.alloc(16, fill));
      const cert = forge.pki.createCertificate();
      cert.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
      cert.serialNumber = serial;
      cert.validity.notBefore = new Date();
      cert.validity.notAfter = new Date(Date.now() + 86_400_000);
      cert.setSubject([{ name: 'commonName', value: 'serial test' }]);
      cert.setIssuer([{ name: 'commonName', value: 'serial test' }]);
      cert.sign(key, forge.md.sha256.create());
      // OpenSSL refuses a padded INTEGER ("illegal padding") and prints a negative one with '-'.
      expect(new X509Certificate(forge.pki.certificateToPem(cert)).serialNumber).toBe(serial.toUpperCase());
    }
  });
});
