/** WebSocket opcodes (RFC 6455 §5.2) the reader tells apart. */
const CONTINUATION = 0x0;
const CLOSE = 0x8;

/**
 * Reassembles WebSocket messages from a byte stream in either direction (masked or not),
 * across TCP chunk boundaries and fragmented messages. It only reads: the bytes are
 * piped on untouched by the caller.
 */
export function createFrameReader(onMessage: (payload: Buffer) => void): (chunk: Buffer) => void {
  let buffered: Buffer = Buffer.alloc(0);
  let fragments: Buffer[] = [];
  let closed = false;

  return (chunk) => {
    if (closed) return;
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    for (;;) {
      if (buffered.length < 2) return;
      const first = buffered[0]!;
      const second = buffered[1]!;
      const fin = (first & 0x80) !== 0;
      const opcode = first & 0x0f;
      const masked = (second & 0x80) !== 0;
      let length = second & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (buffered.length < 4) return;
        length = buffered.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (buffered.length < 10) return;
        length = Number(buffered.readBigUInt64BE(2));
        offset = 10;
      }
      const maskAt = offset;
      if (masked) offset += 4;
      if (buffered.length < offset + length) return;
      const payload = Buffer.from(buffered.subarray(offset, offset + length));
      if (masked) {
        for (let i = 0; i < payload.length; i++) payload[i] = payload[i]! ^ buffered[maskAt + (i % 4)]!;
      }
      buffered = buffered.subarray(offset + length);
      if (opcode === CLOSE) {
        closed = true;
        return;
      }
      // Control frames (ping, pong) may arrive between fragments; they carry no session data.
      if (opcode >= 0x8) continue;
      if (opcode !== CONTINUATION) fragments = [];
      fragments.push(payload);
      if (fin) {
        onMessage(fragments.length === 1 ? fragments[0]! : Buffer.concat(fragments));
        fragments = [];
      }
    }
  };
}
