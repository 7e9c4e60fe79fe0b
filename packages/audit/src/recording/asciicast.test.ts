import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RecordingFailedError } from '../errors.js';
import { createAuditLog } from '../log/index.js';
import type { IsolatedRedis } from '../test-support/redis.js';
import { isolatedRedis } from '../test-support/redis.js';
import { startAsciicast } from './asciicast.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-cast-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

type CastEvent = [number, 'o' | 'i' | 'r', string];

async function readCast(path: string) {
  const [header, ...events] = (await readFile(path, 'utf8'))
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line));
  return { header: header as Record<string, unknown>, events: events as CastEvent[] };
}

/** What a player shows: output events concatenated in file order, each no earlier than the last. */
function replay(events: readonly CastEvent[], code: 'o' | 'i'): string {
  let last = 0;
  let screen = '';
  for (const [time, kind, data] of events) {
    expect(time).toBeGreaterThanOrEqual(last);
    last = time;
    if (kind === code) screen += data;
  }
  return screen;
}

describe('startAsciicast', () => {
  it('writes a v2 header and i/o events that replay in order', async () => {
    const recorder = await startAsciicast(dir, {
      approvalId: 'apv-1',
      command: 'sh',
      width: 120,
      height: 40,
    });
    const euro = Buffer.from('€', 'utf8');
    recorder.output(Buffer.from('$ '));
    recorder.input(Buffer.from('ls\r'));
    // A multi-byte character split across two frames stays one character.
    recorder.output(Buffer.concat([Buffer.from('price '), euro.subarray(0, 1)]));
    recorder.output(euro.subarray(1));
    recorder.output(Buffer.from('oops\n'), 'stderr');
    recorder.resize(100, 30);
    recorder.input(Buffer.from('exit\r'));
    const summary = await recorder.close();

    expect(summary).toMatchObject({ path: join(dir, 'apv-1-1.cast'), bytesIn: 8, bytesOut: 2 + 7 + 2 + 5 });
    const { header, events } = await readCast(summary.path);
    expect(header).toMatchObject({ version: 2, width: 120, height: 40, command: 'sh' });
    expect(typeof header.timestamp).toBe('number');
    expect(replay(events, 'o')).toBe('$ price €oops\n');
    expect(replay(events, 'i')).toBe('ls\rexit\r');
    expect(events.filter(([, kind]) => kind === 'r')).toEqual([[expect.any(Number), 'r', '100x30']]);
  });

  it('numbers the sessions of one approval', async () => {
    const first = await startAsciicast(dir, { approvalId: 'apv-2', command: 'sh' });
    const second = await startAsciicast(dir, { approvalId: 'apv-2', command: 'sh' });
    expect([first.path, second.path]).toEqual([join(dir, 'apv-2-1.cast'), join(dir, 'apv-2-2.cast')]);
    await Promise.all([first.close(), second.close()]);
  });

  it('refuses an approval id that would escape the directory', async () => {
    await expect(startAsciicast(dir, { approvalId: '../etc', command: 'sh' })).rejects.toThrow(
      RecordingFailedError,
    );
  });
});

describe('AuditLog.startRecording', () => {
  let ctx: IsolatedRedis;
  beforeEach(async () => {
    ctx = await isolatedRedis();
  });
  afterEach(() => ctx.cleanup());

  it('links the recording from a session.recorded event', async () => {
    const audit = createAuditLog({ redis: ctx.redis, prefix: ctx.prefix, recordingsDir: dir });
    const recorder = await audit.startRecording({ approvalId: 'apv-3', command: 'bash' });
    recorder.output(Buffer.from('hello\n'));
    const event = await recorder.close();
    await audit.close();
    expect(event).toMatchObject({
      type: 'session.recorded',
      approvalId: 'apv-3',
      path: join(dir, 'apv-3-1.cast'),
      command: 'bash',
      bytesOut: 6,
      seq: 1,
    });
    expect(replay((await readCast(join(dir, 'apv-3-1.cast'))).events, 'o')).toBe('hello\n');
  });
});
