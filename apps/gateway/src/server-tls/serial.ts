import { randomBytes } from 'node:crypto';

/**
 * A certificate serial number as hex: 16 random bytes whose first byte is 0x01–0x7f, so the DER
 * INTEGER is positive (high bit clear) and minimal (never a leading 0x00) with no padding byte.
 * Go's x509 (kubectl) refuses a negative or non-minimally encoded serial, and node-forge strips at
 * most one leading zero byte, so a '00' prefix is not a safe way to keep the number positive.
 */
export function serialNumber(random: Buffer = randomBytes(16)): string {
  const bytes = Buffer.from(random);
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x01;
  return bytes.toString('hex');
}
