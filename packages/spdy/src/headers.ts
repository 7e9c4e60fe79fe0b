import { constants, createDeflate, type Deflate, inflateSync } from 'node:zlib';
import { HEADER_DICTIONARY } from './dictionary.js';
import { SpdyProtocolError } from './errors.js';

/** Header names are lower case on the wire (SPDY/3 §2.6.10); several values of one name are NUL-joined. */
export type SpdyHeaders = ReadonlyMap<string, readonly string[]>;

/** The uncompressed name/value block (§2.6.10): a count, then length-prefixed names and values. */
export function encodeHeaderBlock(headers: Record<string, string | readonly string[]>): Buffer {
  const entries = Object.entries(headers);
  const parts: Buffer[] = [u32(entries.length)];
  for (const [name, value] of entries) {
    const nameBytes = Buffer.from(name.toLowerCase(), 'utf8');
    const valueBytes = Buffer.from(typeof value === 'string' ? value : value.join('\0'), 'utf8');
    parts.push(u32(nameBytes.length), nameBytes, u32(valueBytes.length), valueBytes);
  }
  return Buffer.concat(parts);
}

export function decodeHeaderBlock(block: Buffer): SpdyHeaders {
  const headers = new Map<string, string[]>();
  let offset = 0;
  const take = (length: number) => {
    if (offset + length > block.length)
      throw new SpdyProtocolError('header block ends inside a name or value');
    const bytes = block.subarray(offset, offset + length);
    offset += length;
    return bytes;
  };
  const count = take(4).readUInt32BE(0);
  for (let i = 0; i < count; i++) {
    const name = take(take(4).readUInt32BE(0)).toString('utf8').toLowerCase();
    const values = take(take(4).readUInt32BE(0)).toString('utf8').split('\0');
    headers.set(name, [...(headers.get(name) ?? []), ...values]);
  }
  return headers;
}

function u32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32BE(value);
  return buffer;
}

/**
 * Compressed header blocks one direction of a session can hold before the reader gives up.
 * A SYN_STREAM pair per forwarded connection is ~100 bytes, so this is thousands of streams.
 */
export const MAX_COMPRESSED_HEADER_BYTES = 1024 * 1024;

/**
 * Inflates the header blocks of one direction of a session. SPDY runs one zlib stream per
 * direction across all header blocks (§2.6.10.1), so each block depends on the ones before.
 * Node has no synchronous streaming inflate, so this re-inflates the session's compressed
 * bytes so far and returns the new tail: synchronous, bounded by MAX_COMPRESSED_HEADER_BYTES.
 */
export class HeaderInflater {
  #compressed: Buffer[] = [];
  #compressedLength = 0;
  #producedLength = 0;

  inflate(block: Buffer): SpdyHeaders {
    this.#compressedLength += block.length;
    if (this.#compressedLength > MAX_COMPRESSED_HEADER_BYTES) {
      throw new SpdyProtocolError(
        `header blocks exceed ${MAX_COMPRESSED_HEADER_BYTES} compressed bytes in one session`,
      );
    }
    this.#compressed.push(block);
    let inflated: Buffer;
    try {
      inflated = inflateSync(Buffer.concat(this.#compressed), {
        dictionary: HEADER_DICTIONARY,
        finishFlush: constants.Z_SYNC_FLUSH,
      });
    } catch (error) {
      throw new SpdyProtocolError(`header block does not inflate: ${(error as Error).message}`);
    }
    const fresh = inflated.subarray(this.#producedLength);
    this.#producedLength = inflated.length;
    return decodeHeaderBlock(fresh);
  }
}

/** Compresses the header blocks one side sends, in order, on the session's one zlib stream. */
export class HeaderDeflater {
  #zlib: Deflate = createDeflate({ dictionary: HEADER_DICTIONARY });
  #last: Promise<unknown> = Promise.resolve();

  deflate(headers: Record<string, string | readonly string[]>): Promise<Buffer> {
    const block = encodeHeaderBlock(headers);
    const next = this.#last.then(
      () =>
        new Promise<Buffer>((resolve, reject) => {
          const chunks: Buffer[] = [];
          const collect = (chunk: Buffer) => chunks.push(chunk);
          this.#zlib.on('data', collect);
          this.#zlib.once('error', reject);
          this.#zlib.write(block);
          this.#zlib.flush(constants.Z_SYNC_FLUSH, () => {
            this.#zlib.off('data', collect);
            this.#zlib.off('error', reject);
            resolve(Buffer.concat(chunks));
          });
        }),
    );
    this.#last = next.catch(() => undefined);
    return next;
  }

  close(): void {
    this.#zlib.close();
  }
}
