import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  createFrameReader,
  encodeFrame,
  HEADER_DICTIONARY,
  HeaderDeflater,
  HeaderInflater,
  type SpdyFrame,
  SpdyProtocolError,
} from './index.js';

function readAll(bytes: Buffer, chunkSize: number): SpdyFrame[] {
  const frames: SpdyFrame[] = [];
  const read = createFrameReader((frame) => frames.push(frame));
  for (let i = 0; i < bytes.length; i += chunkSize) read(bytes.subarray(i, i + chunkSize));
  return frames;
}

describe('SPDY/3.1 frames', () => {
  const frames: SpdyFrame[] = [
    {
      type: 'syn_stream',
      streamId: 1,
      associatedStreamId: 0,
      fin: false,
      unidirectional: false,
      headerBlock: Buffer.from('compressed'),
    },
    { type: 'syn_reply', streamId: 1, fin: false, headerBlock: Buffer.from('reply') },
    { type: 'data', streamId: 1, fin: false, data: Buffer.from('hello') },
    { type: 'data', streamId: 3, fin: true, data: Buffer.alloc(0) },
    { type: 'headers', streamId: 5, fin: true, headerBlock: Buffer.alloc(0) },
    { type: 'rst_stream', streamId: 7, status: 5 },
    { type: 'settings', entries: [{ id: 7, flags: 0, value: 65536 }] },
    { type: 'ping', id: 1 },
    { type: 'window_update', streamId: 0, delta: 1 << 20 },
    { type: 'goaway', lastGoodStreamId: 9, status: 0 },
  ];

  it('reads back what it writes, whatever the chunk boundaries', () => {
    const wire = Buffer.concat(frames.map(encodeFrame));
    for (const size of [1, 3, 8, wire.length]) expect(readAll(wire, size)).toEqual(frames);
  });

  it('lays out a control frame as the draft does: C bit, version 3, type, flags, 24-bit length', () => {
    const ping = encodeFrame({ type: 'ping', id: 0x01020304 });
    expect([...ping]).toEqual([0x80, 0x03, 0x00, 0x06, 0x00, 0x00, 0x00, 0x04, 1, 2, 3, 4]);
    const data = encodeFrame({ type: 'data', streamId: 5, fin: true, data: Buffer.from('ab') });
    expect([...data]).toEqual([0, 0, 0, 5, 0x01, 0, 0, 2, 0x61, 0x62]);
  });

  it('passes unknown control frames on as unknown and refuses other SPDY versions', () => {
    const unknown = Buffer.from([0x80, 0x03, 0x00, 0x0a, 0, 0, 0, 1, 0]);
    expect(readAll(unknown, 9)).toEqual([{ type: 'unknown', frameType: 10 }]);
    const v2 = Buffer.from([0x80, 0x02, 0x00, 0x06, 0, 0, 0, 4, 0, 0, 0, 1]);
    expect(() => readAll(v2, 12)).toThrow(SpdyProtocolError);
  });
});

describe('SPDY/3 header compression', () => {
  it('uses the 1423-byte dictionary of the draft', () => {
    expect(HEADER_DICTIONARY.length).toBe(1423);
    expect(HEADER_DICTIONARY.subarray(0, 11)).toEqual(Buffer.from('\0\0\0\x07options', 'latin1'));
    expect(HEADER_DICTIONARY.subarray(-6).toString()).toBe('enq=0.');
  });

  it('inflates consecutive header blocks of one zlib stream, each depending on the last', async () => {
    const deflater = new HeaderDeflater();
    const inflater = new HeaderInflater();
    const first = await deflater.deflate({ streamtype: 'error' });
    const second = await deflater.deflate({ streamtype: 'stdout', port: ['80', '8080'] });
    const third = await deflater.deflate({ streamtype: 'stdout' });
    deflater.close();
    expect(inflater.inflate(first)).toEqual(new Map([['streamtype', ['error']]]));
    expect(inflater.inflate(second)).toEqual(
      new Map([
        ['streamtype', ['stdout']],
        ['port', ['80', '8080']],
      ]),
    );
    expect(inflater.inflate(third)).toEqual(new Map([['streamtype', ['stdout']]]));
    // The repeat is mostly a back-reference into the earlier blocks: it cannot inflate alone.
    expect(() => new HeaderInflater().inflate(third)).toThrow(SpdyProtocolError);
  });

  it('refuses a header block that is not zlib with the SPDY dictionary', () => {
    const other = deflateSync(Buffer.from('not spdy'), { dictionary: Buffer.from('another dictionary') });
    expect(() => new HeaderInflater().inflate(other)).toThrow(SpdyProtocolError);
  });
});
