import type { Readable } from 'node:stream';

export type BodyResult =
  | { readonly ok: true; readonly body: Buffer }
  | { readonly ok: false; readonly reason: 'too-large' | 'aborted' | 'timeout' | 'over-budget' };

export interface BodyReadOptions {
  /** Largest body accepted, in bytes. */
  readonly limit: number;
  /** The Content-Length header, when the client sent one. */
  readonly declaredLength: string | undefined;
  /** Longest the whole body may take to arrive; a stalled upload must not hold its memory forever. */
  readonly timeoutMs: number;
  /**
   * Asked before bytes are kept (the declared length at once, else each chunk); false stops reading
   * with `over-budget`. The caller gives the reservation back when the request is done.
   */
  readonly reserve: (bytes: number) => boolean;
}

/**
 * Buffers a request body up to `limit` bytes. Mutating requests are buffered because the
 * policy reads them (scale to zero) and a held request must be replayable; past the
 * limit, the time bound or the memory budget reading stops at once, so a body costs no
 * more than it was allowed. A declared length is read into one buffer of that size
 * (no second copy from joining chunks).
 */
export function readBody(stream: Readable, options: BodyReadOptions): Promise<BodyResult> {
  const { limit, declaredLength } = options;
  const declared = declaredLength === undefined ? undefined : Number(declaredLength);
  if (declared !== undefined && declared > limit) {
    return Promise.resolve({ ok: false, reason: 'too-large' });
  }
  const known =
    declared !== undefined && Number.isSafeInteger(declared) && declared >= 0 ? declared : undefined;
  if (known !== undefined && known > 0 && !options.reserve(known)) {
    return Promise.resolve({ ok: false, reason: 'over-budget' });
  }
  return new Promise((resolve) => {
    const into = known === undefined ? undefined : Buffer.allocUnsafe(known);
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (result: BodyResult) => {
      clearTimeout(timer);
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.off('close', onClose);
      resolve(result);
    };
    const stop = (reason: 'too-large' | 'timeout' | 'over-budget') => {
      stream.pause();
      finish({ ok: false, reason });
    };
    const onData = (chunk: Buffer) => {
      if (size + chunk.length > limit) return stop('too-large');
      if (into) {
        // Node's parser never passes more than Content-Length; a longer body is not this request's.
        if (size + chunk.length > into.length) return stop('too-large');
        chunk.copy(into, size);
      } else {
        if (!options.reserve(chunk.length)) return stop('over-budget');
        chunks.push(chunk);
      }
      size += chunk.length;
    };
    const onEnd = () => {
      if (into) finish({ ok: true, body: size === into.length ? into : into.subarray(0, size) });
      else finish({ ok: true, body: Buffer.concat(chunks, size) });
    };
    const onError = () => finish({ ok: false, reason: 'aborted' });
    const onClose = () => finish({ ok: false, reason: 'aborted' });
    const timer = setTimeout(() => stop('timeout'), options.timeoutMs);
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
    stream.on('close', onClose);
  });
}
