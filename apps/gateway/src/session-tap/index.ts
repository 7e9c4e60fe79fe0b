import { createFrameReader } from './frames.js';
import { type StreamDecoder, spdyDecoder } from './spdy.js';
import { type ByteTap, upgradeTap } from './upgrade.js';

export { type ForwardTotals, forwardTap } from './forward.js';
export type { ByteTap } from './upgrade.js';

/** Where a session's decoded streams go: the audit log's asciicast recorder fits. */
export interface SessionSink {
  input(data: Uint8Array): void;
  output(data: Uint8Array, stream?: 'stdout' | 'stderr'): void;
  resize(width: number, height: number): void;
}

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
  return upgradeTap(({ upgrade, protocol }) =>
    !protocol.includes('channel.k8s.io') || (upgrade !== 'websocket' && upgrade !== 'spdy/3.1')
      ? `the session speaks ${upgrade || 'an unnamed upgrade'} (${protocol}), which the gateway cannot decode`
      : upgrade === 'websocket'
        ? channelDecoder(sink, protocol)
        : spdyDecoder(sink),
  );
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
