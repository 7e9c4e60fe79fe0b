import { HeaderInflater, type SpdyFrame, createFrameReader as spdyFrames } from '@gatehouse/spdy';
import { createFrameReader as websocketMessages } from './frames.js';
import type { StreamDecoder } from './spdy.js';
import { type ByteTap, type UpgradeAnswer, upgradeTap } from './upgrade.js';

/** What crossed a port-forward session: forwarded connections and their bytes, framing excluded. */
export interface ForwardTotals {
  connections: number;
  /** Bytes the client sent to the pod's ports. */
  bytesIn: number;
  /** Bytes the pod's ports sent back. */
  bytesOut: number;
}

/** kubectl 1.31+ tunnels the SPDY session in WebSocket binary messages (apimachinery WebsocketsSPDYTunnelingPrefix). */
const TUNNELED = 'SPDY/3.1+portforward.k8s.io';

/**
 * Counts a port-forward session, whichever way it travels: SPDY/3.1 (`portforward.k8s.io`: a
 * data and an error stream per connection, kubelet portforward/httpstream.go), SPDY tunnelled in
 * WebSocket (`SPDY/3.1+portforward.k8s.io`, kubectl 1.31+), or the WebSocket channel protocol
 * (`v4.channel.k8s.io`: channels 2i data and 2i+1 error per port, each opened by the server with
 * the port as two bytes, kubelet portforward/websocket.go). Contents are not kept.
 */
export function forwardTap(): ByteTap & { totals(): ForwardTotals } {
  const totals: ForwardTotals = { connections: 0, bytesIn: 0, bytesOut: 0 };
  const tap = upgradeTap((answer) => decoderFor(answer, totals));
  return { ...tap, totals: () => ({ ...totals }) };
}

function decoderFor({ upgrade, protocol }: UpgradeAnswer, totals: ForwardTotals): StreamDecoder | string {
  if (upgrade === 'spdy/3.1' && protocol === 'portforward.k8s.io') return spdyForward(totals);
  if (upgrade === 'websocket' && protocol === TUNNELED) {
    const spdy = spdyForward(totals);
    return {
      fromClient: websocketMessages((message) => spdy.fromClient(message)),
      fromUpstream: websocketMessages((message) => spdy.fromUpstream(message)),
      get failure() {
        return spdy.failure;
      },
    };
  }
  if (upgrade === 'websocket' && protocol.endsWith('channel.k8s.io')) return channelForward(totals, protocol);
  return `the session speaks ${upgrade || 'an unnamed upgrade'} (${protocol}), which the gateway cannot count`;
}

/** SPDY port-forward: DATA on the streams the client opened with `streamtype: data`. */
function spdyForward(totals: ForwardTotals): StreamDecoder {
  const dataStreams = new Set<number>();
  // The client's header blocks share one zlib stream: every one is inflated, in order.
  const inflater = new HeaderInflater();
  let failure: string | undefined;
  const clientFrame = (frame: SpdyFrame) => {
    if (frame.type === 'syn_stream') {
      if (inflater.inflate(frame.headerBlock).get('streamtype')?.[0] === 'data') {
        dataStreams.add(frame.streamId);
        totals.connections += 1;
      }
    } else if (frame.type === 'headers') inflater.inflate(frame.headerBlock);
    else if (frame.type === 'data' && dataStreams.has(frame.streamId)) totals.bytesIn += frame.data.length;
  };
  const upstreamFrame = (frame: SpdyFrame) => {
    if (frame.type === 'data' && dataStreams.has(frame.streamId)) totals.bytesOut += frame.data.length;
  };
  const guarded = (read: (chunk: Buffer) => void) => (chunk: Buffer) => {
    if (failure !== undefined) return;
    try {
      read(chunk);
    } catch (error) {
      failure = `its SPDY frames could not be read (${(error as Error).message})`;
    }
  };
  return {
    fromClient: guarded(spdyFrames(clientFrame)),
    fromUpstream: guarded(spdyFrames(upstreamFrame)),
    get failure() {
      return failure;
    },
  };
}

/** The WebSocket channel protocol: even channels carry data; the server's first message on each is the port. */
function channelForward(totals: ForwardTotals, protocol: string): StreamDecoder {
  const base64 = protocol.includes('base64.');
  const opened = new Set<number>();
  const decode = (message: Buffer) => {
    if (message.length === 0) return undefined;
    const channel = base64 ? message[0]! - 0x30 : message[0]!;
    const length = base64
      ? Buffer.from(message.subarray(1).toString('latin1'), 'base64').length
      : message.length - 1;
    return channel % 2 === 0 ? { channel, length } : undefined;
  };
  return {
    fromClient: websocketMessages((message) => {
      totals.bytesIn += decode(message)?.length ?? 0;
    }),
    fromUpstream: websocketMessages((message) => {
      const data = decode(message);
      if (!data) return;
      if (opened.has(data.channel)) totals.bytesOut += data.length;
      else {
        opened.add(data.channel);
        totals.connections += 1;
      }
    }),
    failure: undefined,
  };
}
