import { encodeFrame, HeaderDeflater } from '@gatehouse/spdy';
import { describe, expect, it } from 'vitest';
import { type SessionSink, sessionTap } from './index.js';

/** One WebSocket frame; client frames are masked as RFC 6455 requires. */
function frame(payload: Buffer, options: { opcode?: number; fin?: boolean; mask?: boolean } = {}): Buffer {
  const { opcode = 0x2, fin = true, mask = false } = options;
  const length = payload.length;
  const header =
    length < 126
      ? Buffer.from([(fin ? 0x80 : 0) | opcode, (mask ? 0x80 : 0) | length])
      : Buffer.from([(fin ? 0x80 : 0) | opcode, (mask ? 0x80 : 0) | 126, length >> 8, length & 0xff]);
  if (!mask) return Buffer.concat([header, payload]);
  const key = Buffer.from([1, 2, 3, 4]);
  const masked = Buffer.from(payload.map((byte, i) => byte ^ key[i % 4]!));
  return Buffer.concat([header, key, masked]);
}

const channel = (n: number, text: string) => Buffer.concat([Buffer.from([n]), Buffer.from(text)]);

function recordingSink() {
  const events: string[] = [];
  const sink: SessionSink = {
    input: (data) => events.push(`in:${Buffer.from(data).toString()}`),
    output: (data, stream) => events.push(`${stream}:${Buffer.from(data).toString()}`),
    resize: (w, h) => events.push(`resize:${w}x${h}`),
  };
  return { sink, events };
}

const SWITCHED =
  'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nSec-WebSocket-Protocol: v5.channel.k8s.io\r\n\r\n';

describe('sessionTap over WebSocket', () => {
  it('decodes stdin, stdout, stderr and resizes of a v5 session, across chunk boundaries', () => {
    const { sink, events } = recordingSink();
    const tap = sessionTap(sink);
    // The client may send before the 101 has been seen.
    tap.fromClient(frame(channel(4, '{"Width":120,"Height":40}'), { mask: true }));
    const upstream = Buffer.concat([
      Buffer.from(SWITCHED),
      frame(channel(1, 'hello ')),
      frame(channel(2, 'warn')),
    ]);
    tap.fromUpstream(upstream.subarray(0, 20));
    tap.fromUpstream(upstream.subarray(20, upstream.length - 3));
    tap.fromUpstream(upstream.subarray(upstream.length - 3));
    const big = 'x'.repeat(300);
    const stdin = frame(channel(0, big), { mask: true });
    tap.fromClient(stdin.subarray(0, 5));
    tap.fromClient(stdin.subarray(5));
    expect(events).toEqual(['resize:120x40', 'stdout:hello ', 'stderr:warn', `in:${big}`]);
  });

  it('joins fragmented messages and skips control frames between fragments', () => {
    const { sink, events } = recordingSink();
    const tap = sessionTap(sink);
    tap.fromUpstream(Buffer.from(SWITCHED));
    tap.fromUpstream(frame(channel(1, 'ab'), { fin: false }));
    tap.fromUpstream(frame(Buffer.from('ping'), { opcode: 0x9 }));
    tap.fromUpstream(frame(Buffer.from('cd'), { opcode: 0x0 }));
    expect(events).toEqual(['stdout:abcd']);
  });

  it('decodes the base64 channel protocol', () => {
    const { sink, events } = recordingSink();
    const tap = sessionTap(sink);
    tap.fromUpstream(Buffer.from(SWITCHED.replace('v5.channel', 'base64.channel')));
    tap.fromUpstream(frame(Buffer.from(`1${Buffer.from('out').toString('base64')}`)));
    expect(events).toEqual(['stdout:out']);
  });

  it('records nothing when the upstream refuses the upgrade or speaks another protocol, and says why', () => {
    const refused = recordingSink();
    const tap = sessionTap(refused.sink);
    expect(tap.problem()).toBe('the connection ended before the cluster answered the upgrade');
    tap.fromUpstream(Buffer.from('HTTP/1.1 403 Forbidden\r\nContent-Length: 2\r\n\r\n{}'));
    tap.fromUpstream(frame(channel(1, 'never')));
    expect(refused.events).toEqual([]);
    expect(tap.problem()).toBe('the cluster answered 403 instead of opening a session');

    const forward = recordingSink();
    const forwardTap = sessionTap(forward.sink);
    forwardTap.fromUpstream(
      Buffer.from(
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: portforward.k8s.io\r\n\r\n',
      ),
    );
    expect(forward.events).toEqual([]);
    expect(forwardTap.problem()).toBe(
      'the session speaks spdy/3.1 (portforward.k8s.io), which the gateway cannot decode',
    );
  });
});

const SPDY_SWITCHED =
  'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n' +
  'X-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\n';

describe('sessionTap over SPDY/3.1', () => {
  /** The frames kubectl sends to open remotecommand v4 streams, on one zlib header stream. */
  async function openStreams(types: string[]): Promise<Buffer> {
    const deflater = new HeaderDeflater();
    const frames: Buffer[] = [];
    for (const [i, type] of types.entries()) {
      const headerBlock = await deflater.deflate({ streamtype: type });
      frames.push(
        encodeFrame({
          type: 'syn_stream',
          streamId: 1 + i * 2,
          associatedStreamId: 0,
          fin: false,
          unidirectional: false,
          headerBlock,
        }),
      );
    }
    deflater.close();
    return Buffer.concat(frames);
  }
  const data = (streamId: number, text: string, fin = false) =>
    encodeFrame({ type: 'data', streamId, fin, data: Buffer.from(text) });

  it('decodes stdin, stdout, stderr and resizes by stream type, whatever the chunk boundaries', async () => {
    // Stream ids: 1 error, 3 stdin, 5 stdout, 7 stderr, 9 resize.
    const client = Buffer.concat([
      await openStreams(['error', 'stdin', 'stdout', 'stderr', 'resize']),
      data(9, '{"Width":100,"Height":30}\n{"Width":120'),
      data(9, ',"Height":40}\n'),
      data(3, 'ls -l\n', true),
    ]);
    const upstream = Buffer.concat([
      Buffer.from(SPDY_SWITCHED),
      data(5, 'total 0\n'),
      data(7, 'warn\n'),
      data(1, '{"metadata":{},"status":"Success"}', true),
      data(5, '', true),
    ]);
    for (const size of [1, 7, 4096]) {
      const { sink, events } = recordingSink();
      const tap = sessionTap(sink);
      for (let i = 0; i < upstream.length || i < client.length; i += size) {
        if (i < client.length) tap.fromClient(client.subarray(i, i + size));
        if (i < upstream.length) tap.fromUpstream(upstream.subarray(i, i + size));
      }
      expect(events.filter((e) => e.startsWith('stdout') || e.startsWith('stderr'))).toEqual([
        'stdout:total 0\n',
        'stderr:warn\n',
      ]);
      expect(events.filter((e) => e.startsWith('in') || e.startsWith('resize'))).toEqual([
        'resize:100x30',
        'resize:120x40',
        'in:ls -l\n',
      ]);
      expect(tap.problem()).toBeUndefined();
    }
  });

  it('says why when the SPDY frames cannot be read, and records nothing after that', async () => {
    const { sink, events } = recordingSink();
    const tap = sessionTap(sink);
    tap.fromUpstream(Buffer.from(SPDY_SWITCHED));
    // A SYN_STREAM whose header block is not zlib with the SPDY dictionary.
    tap.fromClient(
      encodeFrame({
        type: 'syn_stream',
        streamId: 1,
        associatedStreamId: 0,
        fin: false,
        unidirectional: false,
        headerBlock: Buffer.from('not zlib'),
      }),
    );
    tap.fromUpstream(data(1, 'lost'));
    expect(events).toEqual([]);
    expect(tap.problem()).toMatch(/^its SPDY frames could not be read \(header block does not inflate/);
  });
});
