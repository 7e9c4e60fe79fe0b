import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { queryFlag } from './go-url.js';
import { runCommand, type ShellCommand } from './shell.js';

/** Subprotocols spoken, best first. v5 adds channel 255 so the client can close stdin. */
export const EXEC_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'] as const;

const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const ERROR = 3;
const RESIZE = 4;
const CLOSE = 255;

/** One exec or attach session, kept so tests can assert what crossed the wire. */
export interface ExecSession {
  readonly kind: 'exec' | 'attach';
  readonly namespace: string;
  readonly pod: string;
  readonly container: string | undefined;
  readonly command: readonly string[];
  readonly protocol: string;
  /** kubectl 1.29+ speaks WebSocket; older kubectl (and newer ones falling back) SPDY/3.1. */
  readonly transport: 'websocket' | 'spdy';
  stdin: string;
  stdout: string;
  stderr: string;
  resizes: { Width: number; Height: number }[];
  /** Undefined until the command ends. */
  exitCode: number | undefined;
}

/** The status the API server sends on channel 3 when the command ends. */
function exitStatus(code: number) {
  if (code === 0) return { metadata: {}, status: 'Success' };
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: exit status ${code}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
  };
}

/** Stdin as an async iterable fed by channel-0 frames and ended by a v5 close frame or disconnect. */
export class StdinQueue implements AsyncIterable<Buffer> {
  #chunks: Buffer[] = [];
  #closed = false;
  #wake: (() => void) | undefined;

  push(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#wake?.();
  }

  close(): void {
    this.#closed = true;
    this.#wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Buffer> {
    for (;;) {
      const chunk = this.#chunks.shift();
      if (chunk) yield chunk;
      else if (this.#closed) return;
      else await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }
}

export interface ExecTarget {
  kind: 'exec' | 'attach';
  namespace: string;
  pod: string;
  query: URLSearchParams;
}

/** Serves exec/attach over WebSocket with the Kubernetes channel protocol and a tiny shell. */
export class ExecServer {
  readonly sessions: ExecSession[] = [];
  #wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (offered) => EXEC_PROTOCOLS.find((p) => offered.has(p)) ?? false,
  });

  constructor(readonly commands: Record<string, ShellCommand>) {}

  /** Whether the client offers a subprotocol this server speaks. */
  static speaks(req: IncomingMessage): boolean {
    const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
    return EXEC_PROTOCOLS.some((p) => offered.includes(p));
  }

  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, target: ExecTarget): void {
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      void this.#run(ws, socket, target);
    });
  }

  close(): void {
    for (const client of this.#wss.clients) client.terminate();
    this.#wss.close();
  }

  async #run(ws: WebSocket, socket: Duplex, target: ExecTarget): Promise<void> {
    const session = newExecSession(target, ws.protocol, 'websocket');
    this.sessions.push(session);
    const stdin = new StdinQueue();
    if (!queryFlag(target.query, 'stdin')) stdin.close();
    const aborted = new AbortController();

    ws.on('message', (data: Buffer) => {
      const channel = data[0];
      const payload = data.subarray(1);
      if (channel === STDIN) {
        session.stdin += payload.toString('utf8');
        stdin.push(Buffer.from(payload));
      } else if (channel === CLOSE && payload[0] === STDIN) stdin.close();
      else if (channel === RESIZE) session.resizes.push(JSON.parse(payload.toString('utf8')));
    });
    // A client reset is the end of the session, not a failure of the test process.
    ws.on('error', () => ws.terminate());
    ws.on('close', () => {
      stdin.close();
      aborted.abort();
    });

    const send = (channel: number, data: string | Buffer) => {
      if (ws.readyState === ws.OPEN) ws.send(Buffer.concat([Buffer.from([channel]), Buffer.from(data)]));
    };
    const status = await execute(session, target, this.commands, {
      stdin,
      signal: aborted.signal,
      stdout: (data) => send(STDOUT, data),
      stderr: (data) => send(STDERR, data),
    });
    send(ERROR, JSON.stringify(status));
    // golang.org/x/net/websocket Conn.Close (the kubelet's wsstream): the close frame, then the
    // connection ends at once — no wait for the client's close frame, which the Python client's
    // websocket-client never sends (ws would wait 30 s for it).
    ws.close(1000);
    socket.end();
  }
}

/** The record of a session that is starting. */
export function newExecSession(
  target: ExecTarget,
  protocol: string,
  transport: ExecSession['transport'],
): ExecSession {
  return {
    kind: target.kind,
    namespace: target.namespace,
    pod: target.pod,
    container: target.query.get('container') ?? undefined,
    command: target.kind === 'exec' ? target.query.getAll('command') : [],
    protocol,
    transport,
    stdin: '',
    stdout: '',
    stderr: '',
    resizes: [],
    exitCode: undefined,
  };
}

/** Where a session's command reads and writes, whatever carries it. */
export interface ExecIo {
  readonly stdin: AsyncIterable<Buffer>;
  readonly signal: AbortSignal;
  stdout(data: string | Buffer): void;
  stderr(data: string | Buffer): void;
}

/** Runs the session's command in the tiny shell; resolves with the Status for the error channel. */
export async function execute(
  session: ExecSession,
  target: ExecTarget,
  commands: Record<string, ShellCommand>,
  io: ExecIo,
): Promise<ReturnType<typeof exitStatus>> {
  const context = {
    namespace: target.namespace,
    pod: target.pod,
    stdin: io.stdin,
    signal: io.signal,
    stdout: (data: string | Buffer) => {
      session.stdout += data.toString();
      io.stdout(data);
    },
    stderr: (data: string | Buffer) => {
      session.stderr += data.toString();
      io.stderr(data);
    },
  };
  // attach joins the container's main process; here that process echoes stdin like `cat`.
  const argv = target.kind === 'exec' ? session.command : ['cat'];
  const code = await runCommand(argv, context, commands);
  session.exitCode = code;
  return exitStatus(code);
}
