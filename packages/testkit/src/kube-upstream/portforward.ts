import type { IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { type Duplex, PassThrough } from 'node:stream';
import { acceptSpdy, STREAM_CREATION_TIMEOUT_MS } from './httpstream.js';
import type { SpdyServerSession, SpdyStream } from './spdy-session.js';

/** pkg/kubelet/cri/streaming/portforward: the one SPDY port-forward protocol. */
export const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';

/**
 * How the connection reached the stand-in: SPDY/3.1 (kubectl before 1.31, or with
 * KUBECTL_PORT_FORWARD_WEBSOCKETS=false), SPDY tunnelled in WebSocket binary messages (kubectl
 * 1.31+), or the WebSocket channel protocol (client-node, the Python client).
 */
export type PortForwardTransport = 'spdy' | 'spdy-over-websocket' | 'websocket';

/** One forwarded connection (a data/error stream pair), kept so tests can assert what crossed. */
export interface PortForwardSession {
  readonly namespace: string;
  readonly pod: string;
  readonly port: number;
  readonly transport: PortForwardTransport;
  /** The SPDY requestID header; for the WebSocket protocol, the data channel's number. */
  readonly requestId: string;
  /** Bytes the client sent to the pod's port, and what came back. */
  sent: string;
  received: string;
  /** What the server wrote on the error stream, if anything. */
  error: string | undefined;
}

export interface PodAddress {
  readonly host: string;
  readonly port: number;
}

/** The ports pods listen on: a test points a pod's port at a local TCP server it runs. */
export class PodPorts {
  #targets = new Map<string, PodAddress>();

  expose(namespace: string, pod: string, port: number, target: PodAddress): void {
    this.#targets.set(`${namespace}/${pod}:${port}`, target);
  }

  lookup(namespace: string, pod: string, port: number): PodAddress | undefined {
    return this.#targets.get(`${namespace}/${pod}:${port}`);
  }

  clear(): void {
    this.#targets.clear();
  }
}

export interface PortForwardTarget {
  readonly namespace: string;
  readonly pod: string;
  readonly uid: string;
}

interface Pair {
  data?: SpdyStream;
  error?: SpdyStream;
  timer: NodeJS.Timeout;
}

/**
 * Serves pods/portforward over SPDY/3.1 as the kubelet's portforward/httpstream.go does: the
 * client opens an error and a data stream per connection, tagged with `port` and `requestID`;
 * once both are there the server dials the pod's port and copies bytes both ways, writing any
 * failure to the error stream and closing both streams when the connection ends.
 */
export function serveSpdyPortForward(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  target: PortForwardTarget,
  ports: PodPorts,
  sessions: PortForwardSession[],
): void {
  const accepted = acceptSpdy(req, socket, head, [PORT_FORWARD_PROTOCOL]);
  if (accepted) serveForwardStreams(accepted.spdy, 'spdy', target, ports, sessions);
}

/** The kubelet's httpStreamHandler on an open SPDY session, however the session's bytes travel. */
export function serveForwardStreams(
  spdy: SpdyServerSession,
  transport: 'spdy' | 'spdy-over-websocket',
  target: PortForwardTarget,
  ports: PodPorts,
  sessions: PortForwardSession[],
): void {
  const pairs = new Map<string, Pair>();

  spdy.on('stream', (stream) => {
    const type = stream.header('streamtype');
    const portText = stream.header('port') ?? '';
    // kubectl since 1.6 sends requestID; the kubelet pairs older clients' streams by stream id.
    const requestId = stream.header('requestid') ?? String(type === 'data' ? stream.id - 2 : stream.id);
    const port = Number(portText);
    if ((type !== 'data' && type !== 'error') || !/^\d+$/.test(portText) || port < 1 || port > 65535) {
      // streamReceived refuses a stream without a valid port or type.
      stream.reset();
      return;
    }
    let pair = pairs.get(requestId);
    if (!pair) {
      const timer = setTimeout(() => {
        pairs.get(requestId)?.error?.write('timed out waiting for streams');
        pairs.get(requestId)?.error?.end();
        pairs.delete(requestId);
      }, STREAM_CREATION_TIMEOUT_MS);
      pair = { timer };
      pairs.set(requestId, pair);
    }
    pair[type] = stream;
    if (pair.data && pair.error) {
      clearTimeout(pair.timer);
      pairs.delete(requestId);
      const { data, error } = pair;
      const session = newForwardSession(target, port, transport, requestId);
      sessions.push(session.record);
      data.on('end', () => session.fromClient.end());
      data.on('reset', () => session.fromClient.destroy());
      data.on('data', (chunk: Buffer) => session.fromClient.write(chunk));
      const sink = {
        data: (chunk: Buffer) => data.write(chunk),
        error: (text: string) => error.write(text),
        end: () => {
          data.end();
          error.end();
        },
      };
      dialPod(session.record, ports, target, sink, session.fromClient);
    }
  });
  spdy.on('close', () => {
    for (const pair of pairs.values()) clearTimeout(pair.timer);
  });
}

/** Where a forwarded connection's pod side writes: the data stream, the error stream, and their end. */
export interface ForwardSink {
  data(chunk: Buffer): void;
  error(text: string): void;
  end(): void;
}

/** A session record and the stream of what the client sends to the pod's port. */
export function newForwardSession(
  target: PortForwardTarget,
  port: number,
  transport: PortForwardTransport,
  requestId: string,
): { record: PortForwardSession; fromClient: PassThrough } {
  const record: PortForwardSession = {
    namespace: target.namespace,
    pod: target.pod,
    port,
    transport,
    requestId,
    sent: '',
    received: '',
    error: undefined,
  };
  return { record, fromClient: new PassThrough() };
}

/**
 * The forwarder's PortForward (the CRI runtime's): dials the pod's port and copies both ways
 * until the pod's side closes; a failure is written to the error stream as the kubelet words it
 * ("error forwarding port P to pod NAME, uid UID: …").
 */
export function dialPod(
  session: PortForwardSession,
  ports: PodPorts,
  target: PortForwardTarget,
  sink: ForwardSink,
  fromClient: PassThrough,
): void {
  const fail = (why: string) => {
    session.error = `error forwarding port ${session.port} to pod ${target.pod}, uid ${target.uid}: ${why}`;
    sink.error(session.error);
    sink.end();
  };
  const address = ports.lookup(target.namespace, target.pod, session.port);
  if (!address) {
    fail(
      `failed to connect to localhost:${session.port} inside namespace "${target.namespace}/${target.pod}": ` +
        `dial tcp4 127.0.0.1:${session.port}: connect: connection refused`,
    );
    return;
  }
  const conn = connect(address.port, address.host);
  fromClient.on('data', (chunk: Buffer) => {
    session.sent += chunk.toString('utf8');
    conn.write(chunk);
  });
  fromClient.on('end', () => conn.end());
  fromClient.on('close', () => {
    if (!fromClient.readableEnded) conn.destroy();
  });
  conn.on('data', (chunk: Buffer) => {
    session.received += chunk.toString('utf8');
    sink.data(chunk);
  });
  conn.on('error', (cause: Error) => fail(cause.message));
  conn.on('close', () => sink.end());
}
