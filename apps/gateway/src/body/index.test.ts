import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readBody } from './index.js';

describe('readBody', () => {
  it('collects a chunked body under the limit', async () => {
    const result = await readBody(Readable.from([Buffer.from('{"a":'), Buffer.from('1}')]), 10, undefined);
    expect(result).toEqual({ ok: true, body: Buffer.from('{"a":1}') });
  });

  it('accepts a body of exactly the limit', async () => {
    const result = await readBody(Readable.from([Buffer.alloc(10)]), 10, '10');
    expect(result.ok).toBe(true);
  });

  it('refuses a declared length past the limit without reading', async () => {
    const stream = new PassThrough();
    expect(await readBody(stream, 10, '11')).toEqual({ ok: false, reason: 'too-large' });
    expect(stream.readableFlowing).toBeNull();
  });

  it('stops reading a chunked body once it passes the limit', async () => {
    const result = await readBody(
      Readable.from([Buffer.alloc(6), Buffer.alloc(6), Buffer.alloc(6)]),
      10,
      undefined,
    );
    expect(result).toEqual({ ok: false, reason: 'too-large' });
  });

  it('reports a client that goes away mid-body', async () => {
    const stream = new PassThrough();
    const pending = readBody(stream, 10, undefined);
    stream.write('ab');
    stream.destroy();
    expect(await pending).toEqual({ ok: false, reason: 'aborted' });
  });
});
