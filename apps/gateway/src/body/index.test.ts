import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { type BodyReadOptions, readBody } from './index.js';

const options = (limit: number, declaredLength?: string, more: Partial<BodyReadOptions> = {}) => ({
  limit,
  declaredLength,
  timeoutMs: 10_000,
  reserve: () => true,
  ...more,
});

describe('readBody', () => {
  it('collects a chunked body under the limit', async () => {
    const result = await readBody(Readable.from([Buffer.from('{"a":'), Buffer.from('1}')]), options(10));
    expect(result).toEqual({ ok: true, body: Buffer.from('{"a":1}') });
  });

  it('accepts a body of exactly the limit', async () => {
    const result = await readBody(Readable.from([Buffer.alloc(10)]), options(10, '10'));
    expect(result.ok).toBe(true);
  });

  it('reads a declared length into one buffer of that size', async () => {
    const result = await readBody(Readable.from([Buffer.from('abc'), Buffer.from('de')]), options(10, '5'));
    expect(result).toEqual({ ok: true, body: Buffer.from('abcde') });
  });

  it('refuses a declared length past the limit without reading', async () => {
    const stream = new PassThrough();
    expect(await readBody(stream, options(10, '11'))).toEqual({ ok: false, reason: 'too-large' });
    expect(stream.readableFlowing).toBeNull();
  });

  it('stops reading a chunked body once it passes the limit', async () => {
    const result = await readBody(
      Readable.from([Buffer.alloc(6), Buffer.alloc(6), Buffer.alloc(6)]),
      options(10),
    );
    expect(result).toEqual({ ok: false, reason: 'too-large' });
  });

  it('reports a client that goes away mid-body', async () => {
    const stream = new PassThrough();
    const pending = readBody(stream, options(10));
    stream.write('ab');
    stream.destroy();
    expect(await pending).toEqual({ ok: false, reason: 'aborted' });
  });

  it('cuts a body that does not arrive in time', async () => {
    const stream = new PassThrough();
    const pending = readBody(stream, options(10, '5', { timeoutMs: 50 }));
    stream.write('abcd'); // one byte short, then nothing
    expect(await pending).toEqual({ ok: false, reason: 'timeout' });
    expect(stream.isPaused()).toBe(true);
  });

  it('reserves the declared length before reading, and each chunk of a chunked body', async () => {
    const asked: number[] = [];
    const reserve = (bytes: number) => {
      asked.push(bytes);
      return true;
    };
    await readBody(Readable.from([Buffer.alloc(3), Buffer.alloc(2)]), options(10, '5', { reserve }));
    await readBody(Readable.from([Buffer.alloc(3), Buffer.alloc(2)]), options(10, undefined, { reserve }));
    expect(asked).toEqual([5, 3, 2]);
  });

  it('stops with over-budget when a reservation is refused', async () => {
    const stream = new PassThrough();
    expect(await readBody(stream, options(10, '5', { reserve: () => false }))).toEqual({
      ok: false,
      reason: 'over-budget',
    });
    expect(stream.readableFlowing).toBeNull();
    let left = 4;
    const reserve = (bytes: number) => {
      left -= bytes;
      return left >= 0;
    };
    const chunked = await readBody(
      Readable.from([Buffer.alloc(3), Buffer.alloc(3)]),
      options(10, undefined, { reserve }),
    );
    expect(chunked).toEqual({ ok: false, reason: 'over-budget' });
  });
});
