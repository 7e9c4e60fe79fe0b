import type { WriteStream } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { RecordingFailedError } from '../errors.js';

export interface RecordingOptions {
  readonly approvalId: string;
  /** The command run in the container, for the header and the session.recorded event. */
  readonly command: string;
  readonly width?: number | undefined;
  readonly height?: number | undefined;
}

/** Feeds a recording with decoded channel data; never blocks the session (writes are buffered). */
export interface SessionRecorder {
  readonly path: string;
  /** stdin bytes (channel 0). */
  input(data: Uint8Array): void;
  /** stdout and stderr bytes (channels 1 and 2); `stream` keeps a split UTF-8 character intact per stream. */
  output(data: Uint8Array, stream?: 'stdout' | 'stderr'): void;
  /** A terminal resize (channel 4). */
  resize(width: number, height: number): void;
  /**
   * Flushes and closes the file; resolves with what was recorded. `problem` says why the
   * session's streams could not be decoded: with nothing recorded it is the reason the session
   * was not recorded, after some output the reason the recording stopped early.
   */
  close(problem?: string): Promise<RecordingSummary>;
}

export interface RecordingSummary {
  readonly path: string;
  readonly durationMs: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** Why writing stopped early, when it did. */
  readonly error?: string;
  /** Why nothing of the session could be recorded (the file holds only its header). */
  readonly notRecorded?: string;
}

/** Recordings of one approval are numbered: a held exec and a retry with a grant are two sessions. */
const MAX_SESSIONS_PER_APPROVAL = 1000;

/**
 * Opens `<dir>/<approvalId>-<n>.cast` (the first free n, created exclusively so two
 * gateway replicas never share a file) and writes an asciicast v2 header.
 */
export async function startAsciicast(dir: string, options: RecordingOptions): Promise<SessionRecorder> {
  if (!/^[A-Za-z0-9._-]+$/.test(options.approvalId)) {
    throw new RecordingFailedError(
      `approval id ${JSON.stringify(options.approvalId)} cannot name a recording file`,
    );
  }
  const { handle, path } = await createNumbered(dir, options.approvalId);
  const file = handle.createWriteStream({ encoding: 'utf8' });
  const started = performance.now();
  const state = { bytesIn: 0, bytesOut: 0, error: undefined as string | undefined };
  file.on('error', (error) => {
    state.error ??= error.message;
  });
  const write = (line: unknown) => {
    if (state.error === undefined && !file.destroyed) file.write(`${JSON.stringify(line)}\n`);
  };
  const elapsed = () => Math.round(performance.now() - started) / 1000;
  const decoders = {
    stdin: new StringDecoder('utf8'),
    stdout: new StringDecoder('utf8'),
    stderr: new StringDecoder('utf8'),
  };
  const event = (code: 'i' | 'o', text: string) => {
    if (text.length > 0) write([elapsed(), code, text]);
  };

  write({
    version: 2,
    width: options.width ?? 80,
    height: options.height ?? 24,
    timestamp: Math.floor(Date.now() / 1000),
    command: options.command,
    title: `gatehouse approval ${options.approvalId}`,
  });

  return {
    path,
    input(data) {
      state.bytesIn += data.length;
      event('i', decoders.stdin.write(Buffer.from(data)));
    },
    output(data, stream = 'stdout') {
      state.bytesOut += data.length;
      event('o', decoders[stream].write(Buffer.from(data)));
    },
    resize(width, height) {
      write([elapsed(), 'r', `${width}x${height}`]);
    },
    async close(problem) {
      event('i', decoders.stdin.end());
      event('o', decoders.stdout.end());
      event('o', decoders.stderr.end());
      const durationMs = Math.round(performance.now() - started);
      await endStream(file);
      const summary = { path, durationMs, bytesIn: state.bytesIn, bytesOut: state.bytesOut };
      const nothing = state.bytesIn === 0 && state.bytesOut === 0;
      if (problem !== undefined && nothing) return { ...summary, notRecorded: problem };
      const error = state.error ?? problem;
      return error === undefined ? summary : { ...summary, error };
    },
  };
}

async function createNumbered(
  dir: string,
  approvalId: string,
): Promise<{ handle: FileHandle; path: string }> {
  try {
    await mkdir(dir, { recursive: true });
    for (let n = 1; n <= MAX_SESSIONS_PER_APPROVAL; n += 1) {
      const path = join(dir, `${approvalId}-${n}.cast`);
      try {
        return { handle: await open(path, 'wx'), path };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
    }
  } catch (error) {
    throw new RecordingFailedError(`cannot create a recording in ${dir}: ${(error as Error).message}`, error);
  }
  throw new RecordingFailedError(
    `approval ${approvalId} already has ${MAX_SESSIONS_PER_APPROVAL} recordings in ${dir}`,
  );
}

function endStream(file: WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (file.destroyed) return resolve();
    file.end(() => resolve());
    // A failed write destroys the stream without calling end's callback.
    file.once('close', () => resolve());
  });
}
