import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type ExecSession, type ExecTarget, execute, newExecSession, StdinQueue } from './exec.js';
import { queryFlag } from './go-url.js';
import { acceptSpdy, STREAM_CREATION_TIMEOUT_MS } from './httpstream.js';
import type { ShellCommand } from './shell.js';
import type { SpdyServerSession, SpdyStream } from './spdy-session.js';

/**
 * The SPDY remote command protocol the kubelet serves (pkg/kubelet/cri/streaming/remotecommand,
 * httpstream.go): only v4 is spoken here, which every kubectl since 1.5 offers first; v4 sends
 * the exit as a JSON Status on the error stream (v4WriteStatusFunc).
 */
export const SPDY_EXEC_PROTOCOLS = ['v4.channel.k8s.io'] as const;

type StreamType = 'error' | 'stdin' | 'stdout' | 'stderr' | 'resize';

/** The streams the client must open, as remotecommand's createHTTPStreamStreams counts them. */
function expectedStreams(query: URLSearchParams): Set<StreamType> {
  const tty = queryFlag(query, 'tty');
  const expected = new Set<StreamType>(['error']);
  if (queryFlag(query, 'stdin')) expected.add('stdin');
  if (queryFlag(query, 'stdout')) expected.add('stdout');
  if (queryFlag(query, 'stderr') && !tty) expected.add('stderr');
  if (tty) expected.add('resize');
  return expected;
}

/** Splits the resize stream (json.Encoder output: one TerminalSize object after another). */
function resizeReader(onSize: (size: { Width: number; Height: number }) => void): (chunk: Buffer) => void {
  let text = '';
  return (chunk) => {
    text += chunk.toString('utf8');
    for (let end = text.indexOf('}'); end !== -1; end = text.indexOf('}')) {
      const object = text.slice(0, end + 1).trim();
      text = text.slice(end + 1);
      try {
        onSize(JSON.parse(object));
      } catch {
        // A malformed size is skipped, as the kubelet's decoder loop logs and goes on.
      }
    }
  };
}

/** Serves exec/attach over SPDY/3.1 to kubectl before 1.29 (and later ones that fall back). */
export function serveSpdyExec(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  target: ExecTarget,
  commands: Record<string, ShellCommand>,
  sessions: ExecSession[],
): void {
  const accepted = acceptSpdy(req, socket, head, SPDY_EXEC_PROTOCOLS);
  if (!accepted) return;
  const { spdy } = accepted;
  const expected = expectedStreams(target.query);
  const streams = new Map<StreamType, SpdyStream>();
  const timer = setTimeout(() => spdy.close(), STREAM_CREATION_TIMEOUT_MS);
  spdy.on('close', () => clearTimeout(timer));
  spdy.on('stream', (stream) => {
    const type = stream.header('streamtype') as StreamType | undefined;
    if (!type || !expected.has(type) || streams.has(type)) {
      // remotecommand: "unexpected stream type" ends the session.
      stream.reset();
      return;
    }
    streams.set(type, stream);
    if (streams.size === expected.size) {
      clearTimeout(timer);
      void run(spdy, streams, target, commands, sessions, accepted.protocol);
    }
  });
}

async function run(
  spdy: SpdyServerSession,
  streams: Map<StreamType, SpdyStream>,
  target: ExecTarget,
  commands: Record<string, ShellCommand>,
  sessions: ExecSession[],
  protocol: string,
): Promise<void> {
  const session = newExecSession(target, protocol, 'spdy');
  sessions.push(session);
  const stdin = new StdinQueue();
  const aborted = new AbortController();
  const stdinStream = streams.get('stdin');
  if (stdinStream) {
    stdinStream.on('data', (data: Buffer) => {
      session.stdin += data.toString('utf8');
      stdin.push(data);
    });
    stdinStream.on('end', () => stdin.close());
    stdinStream.on('reset', () => stdin.close());
  } else stdin.close();
  streams.get('resize')?.on(
    'data',
    resizeReader((size) => session.resizes.push(size)),
  );
  spdy.on('close', () => {
    stdin.close();
    aborted.abort();
  });

  const stdout = streams.get('stdout');
  const stderr = streams.get('stderr');
  const status = await execute(session, target, commands, {
    stdin,
    signal: aborted.signal,
    stdout: (data) => stdout?.write(data),
    stderr: (data) => stderr?.write(data),
  });
  stdout?.end();
  stderr?.end();
  const error = streams.get('error');
  error?.write(JSON.stringify(status));
  error?.end();
  spdy.close();
}
