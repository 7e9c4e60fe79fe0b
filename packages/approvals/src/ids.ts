import { randomBytes } from 'node:crypto';

// Crockford's base32 in lower case: no i, l, o, u, so an id read aloud or retyped survives.
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/** A short, URL-safe, random approval id (12 characters, 60 bits). */
export function newApprovalId(): string {
  const bytes = randomBytes(12);
  let id = '';
  for (const byte of bytes) id += ALPHABET[byte & 31];
  return id;
}
