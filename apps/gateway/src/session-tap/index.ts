import { createFrameReader } from './frames.js';

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
}

const HEAD_END = Buffer.from('\r\n\r\n');
const PROTOCOL = /^sec-websocket-protocol:\s*(\S+)\s*$/im;

/** Kubernetes remote command channels (k8s.io/apimachinery remotecommand); 3 is the exit status. */
const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const RESIZE = 4;

/**
 * Decodes the Kubernetes channel protocol (`v5.channel.k8s.io`, `v4…`, and the
 * `base64.` variants) of an exec/attach WebSocket into a session sink: stdin, stdout,
 * stderr and resizes. Anything else (SPDY, a refused upgrade) is left unrecorded.
 */
export function channelTap(sink: SessionSink): ByteTap {
  let head: Buffer = Buffer.alloc(0);
  let upstreamReader: ((chunk: Buffer) => void) | undefined;
  let clientReader: ((chunk: Buffer) => void) | undefined;
  let pendingClient: Buffer[] = [];
  let active = true;

  const channelOf = (base64: boolean) => (message: Buffer) => {
    if (message.length === 0) return undefined;
    const channel = base64 ? message[0]! - 0x30 : message[0]!;
    const data = base64 ? Buffer.from(message.subarray(1).toString('latin1'), 'base64') : message.subarray(1);
    return { channel, data };
  };

  const start = (protocol: string) => {
    const decode = channelOf(protocol.startsWith('base64.'));
    upstreamReader = createFrameReader((message) => {
      const frame = decode(message);
      if (frame?.channel === STDOUT) sink.output(frame.data, 'stdout');
      else if (frame?.channel === STDERR) sink.output(frame.data, 'stderr');
      // Channel 3 carries the exit Status, not terminal output; the audit has the outcome elsewhere.
    });
    clientReader = createFrameReader((message) => {
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
    });
    for (const chunk of pendingClient) clientReader(chunk);
    pendingClient = [];
  };

  return {
    fromClient(chunk) {
      if (!active) return;
      if (clientReader) clientReader(chunk);
      else pendingClient.push(chunk);
    },
    fromUpstream(chunk) {
      if (!active) return;
      if (upstreamReader) {
        upstreamReader(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf(HEAD_END);
      if (end === -1) return;
      const text = head.subarray(0, end).toString('latin1');
      const protocol = PROTOCOL.exec(text)?.[1] ?? '';
      if (!text.startsWith('HTTP/1.1 101') || !protocol.includes('channel.k8s.io')) {
        active = false;
        return;
      }
      start(protocol);
      const rest = head.subarray(end + HEAD_END.length);
      if (rest.length > 0) upstreamReader!(rest);
    },
  };
}
