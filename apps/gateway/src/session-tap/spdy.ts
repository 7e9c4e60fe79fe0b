import { createFrameReader, HeaderInflater, type SpdyFrame } from '@gatehouse/spdy';
import type { SessionSink } from './index.js';

/** One direction's reader: bytes in, or the reason it stopped reading. */
export interface StreamDecoder {
  fromClient(chunk: Buffer): void;
  fromUpstream(chunk: Buffer): void;
  /** Why decoding stopped, once it has. */
  readonly failure: string | undefined;
}

type StreamType = 'stdin' | 'stdout' | 'stderr' | 'resize' | 'error';

/**
 * Decodes the SPDY/3.1 remote command protocol (k8s.io/client-go/tools/remotecommand over
 * k8s.io/apimachinery/pkg/util/httpstream/spdy): the client opens one stream per channel with a
 * SYN_STREAM whose `streamtype` header names it (stdin, stdout, stderr, resize, error); data
 * travels in DATA frames on those stream ids in both directions. Only the client's header blocks
 * are inflated (they share one zlib stream, so every one must be read in order).
 */
export function spdyDecoder(sink: SessionSink): StreamDecoder {
  const types = new Map<number, StreamType>();
  const inflater = new HeaderInflater();
  let failure: string | undefined;
  let resizeText = '';

  const onResize = (data: Buffer) => {
    // json.Encoder writes one TerminalSize object after another.
    resizeText += data.toString('utf8');
    for (let end = resizeText.indexOf('}'); end !== -1; end = resizeText.indexOf('}')) {
      const object = resizeText.slice(0, end + 1);
      resizeText = resizeText.slice(end + 1);
      try {
        const size = JSON.parse(object) as { Width?: number; Height?: number };
        if (size.Width && size.Height) sink.resize(size.Width, size.Height);
      } catch {
        // A malformed resize changes nothing in the recording.
      }
    }
  };

  const clientFrame = (frame: SpdyFrame) => {
    if (frame.type === 'syn_stream') {
      const type = inflater.inflate(frame.headerBlock).get('streamtype')?.[0];
      if (type === 'stdin' || type === 'stdout' || type === 'stderr' || type === 'resize' || type === 'error')
        types.set(frame.streamId, type);
    } else if (frame.type === 'headers') inflater.inflate(frame.headerBlock);
    else if (frame.type === 'data' && frame.data.length > 0) {
      const type = types.get(frame.streamId);
      if (type === 'stdin') sink.input(frame.data);
      else if (type === 'resize') onResize(frame.data);
    }
  };
  const upstreamFrame = (frame: SpdyFrame) => {
    if (frame.type !== 'data' || frame.data.length === 0) return;
    const type = types.get(frame.streamId);
    // The error stream carries the exit Status, not terminal output; the audit has the outcome elsewhere.
    if (type === 'stdout' || type === 'stderr') sink.output(frame.data, type);
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
    fromClient: guarded(createFrameReader(clientFrame)),
    fromUpstream: guarded(createFrameReader(upstreamFrame)),
    get failure() {
      return failure;
    },
  };
}
