import { describe, expect, it } from 'vitest';
import { channelTap, type SessionSink } from './index.js';

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

describe('channelTap', () => {
  it('decodes stdin, stdout, stderr and resizes of a v5 session, across chunk boundaries', () => {
    const { sink, events } = recordingSink();
    const tap = channelTap(sink);
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
    const tap = channelTap(sink);
    tap.fromUpstream(Buffer.from(SWITCHED));
    tap.fromUpstream(frame(channel(1, 'ab'), { fin: false }));
    tap.fromUpstream(frame(Buffer.from('ping'), { opcode: 0x9 }));
    tap.fromUpstream(frame(Buffer.from('cd'), { opcode: 0x0 }));
    expect(events).toEqual(['stdout:abcd']);
  });

  it('decodes the base64 channel protocol', () => {
    const { sink, events } = recordingSink();
    const tap = channelTap(sink);
    tap.fromUpstream(Buffer.from(SWITCHED.replace('v5.channel', 'base64.channel')));
    tap.fromUpstream(frame(Buffer.from(`1${Buffer.from('out').toString('base64')}`)));
    expect(events).toEqual(['stdout:out']);
  });

  it('records nothing when the upstream refuses the upgrade or speaks another protocol', () => {
    const refused = recordingSink();
    const tap = channelTap(refused.sink);
    tap.fromUpstream(Buffer.from('HTTP/1.1 403 Forbidden\r\nContent-Length: 2\r\n\r\n{}'));
    tap.fromUpstream(frame(channel(1, 'never')));
    expect(refused.events).toEqual([]);

    const spdy = recordingSink();
    const spdyTap = channelTap(spdy.sink);
    spdyTap.fromUpstream(Buffer.from('HTTP/1.1 101 Switching Protocols\r\nUpgrade: SPDY/3.1\r\n\r\n'));
    spdyTap.fromUpstream(frame(channel(1, 'never')));
    expect(spdy.events).toEqual([]);
  });
});
