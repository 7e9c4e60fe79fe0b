import { createFrameReader } from './frames.js';
import { type StreamDecoder, spdyDecoder } from './spdy.js';

/** Where a session's decoded streams go: the audit log's asciicast recorder fits. */
export interface SessionSink {
  input(data: Uint8Array): void;
  output(data: Uint8Array, stream?: 'stdout' | 'stderr'): void;
  resize(width: number, height: number): void;
}

/** Sees the bytes of an upgraded connection in both directions without changing them. */
export interface ByteTap {
  fromClient(chunk: Buffer): void;
  fromUpstream(chunk: Buffer): void;
  /** Why the session is not (or no longer) being decoded; undefined while it is. */
  problem(): string | undefined;
}

const HEAD_END = Buffer.from('\r\n\r\n');
const WEBSOCKET_PROTOCOL = /^sec-websocket-protocol:\s*(\S+)\s*$/im;
const STREAM_PROTOCOL = /^x-stream-protocol-version:\s*(\S+)\s*$/im;
const UPGRADE = /^upgrade:\s*(\S+)\s*$/im;
const STATUS = /^HTTP\/1\.1 (\d{3})/;

/** Kubernetes remote command channels (k8s.io/apimachinery remotecommand); 3 is the exit status. */
const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const RESIZE = 4;

/**
 * Decodes an exec/attach session into a session sink — stdin, stdout, stderr and resizes —
 * whichever way kubectl speaks it: the WebSocket channel protocol (`v5.channel.k8s.io`, `v4…`,
 * the `base64.` variants) or SPDY/3.1 streams (`X-Stream-Protocol-Version: v4.channel.k8s.io`).
 * What it cannot read (a refused upgrade, another protocol) it leaves alone and says why.
 */
export function sessionTap(sink: SessionSink): ByteTap {
  let head: Buffer = Buffer.alloc(0);
  let decoder: StreamDecoder | undefined;
  let pendingClient: Buffer[] = [];
  /** Set once the upgrade answer is read and is not a session this tap decodes. */
  let unreadable: string | undefined;

  const start = (chosen: StreamDecoder) => {
    decoder = chosen;
    for (const chunk of pendingClient) chosen.fromClient(chunk);
    pendingClient = [];
  };

  return {
    fromClient(chunk) {
      if (decoder) decoder.fromClient(chunk);
      // The client may send before the 101 has been seen.
      else if (unreadable === undefined) pendingClient.push(chunk);
    },
    fromUpstream(chunk) {
      if (decoder) {
        decoder.fromUpstream(chunk);
        return;
      }
      if (unreadable !== undefined) return;
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf(HEAD_END);
      if (end === -1) return;
      const text = head.subarray(0, end).toString('latin1');
      const status = STATUS.exec(text)?.[1];
      if (status !== '101') {
        pendingClient = [];
        unreadable = `the cluster answered ${status ?? 'something other than HTTP/1.1'} instead of opening a session`;
        return;
      }
      const upgrade = (UPGRADE.exec(text)?.[1] ?? '').toLowerCase();
      const protocol =
        (upgrade === 'websocket' ? WEBSOCKET_PROTOCOL : STREAM_PROTOCOL).exec(text)?.[1] ?? 'no protocol';
      if (!protocol.includes('channel.k8s.io') || (upgrade !== 'websocket' && upgrade !== 'spdy/3.1')) {
        pendingClient = [];
        unreadable = `the session speaks ${upgrade || 'an unnamed upgrade'} (${protocol}), which the gateway cannot decode`;
        return;
      }
      start(upgrade === 'websocket' ? channelDecoder(sink, protocol) : spdyDecoder(sink));
      const rest = head.subarray(end + HEAD_END.length);
      if (rest.length > 0) decoder!.fromUpstream(rest);
    },
    problem: () =>
      decoder
        ? decoder.failure
        : (unreadable ?? 'the connection ended before the cluster answered the upgrade'),
  };
}

/** The WebSocket channel protocol: each message is a channel byte and its data. */
function channelDecoder(sink: SessionSink, protocol: string): StreamDecoder {
  const base64 = protocol.startsWith('base64.');
  const decode = (message: Buffer) => {
    if (message.length === 0) return undefined;
    const channel = base64 ? message[0]! - 0x30 : message[0]!;
    const data = base64 ? Buffer.from(message.subarray(1).toString('latin1'), 'base64') : message.subarray(1);
    return { channel, data };
  };
  return {
    fromUpstream: createFrameReader((message) => {
      const frame = decode(message);
      if (frame?.channel === STDOUT) sink.output(frame.data, 'stdout');
      else if (frame?.channel === STDERR) sink.output(frame.data, 'stderr');
      // Channel 3 carries the exit Status, not terminal output; the audit has the outcome elsewhere.
    }),
    fromClient: createFrameReader((message) => {
      const frame = decode(message);
      if (frame?.channel === STDIN) sink.input(frame.data);
      else if (frame?.channel === RESIZE) {
        try {
          const size = JSON.parse(frame.data.toString('utf8')) as { Width?: number; Height?: number };
          if (size.Width && size.Height) sink.resize(size.Width, size.Height);
        } catch {
          // A malformed resize changes nothing in the recording.
        }
      }
    }),
    failure: undefined,
  };
}
