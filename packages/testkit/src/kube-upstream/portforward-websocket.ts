import type { IncomingMessage } from 'node:http';
import { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import {
  dialPod,
  newForwardSession,
  PORT_FORWARD_PROTOCOL,
  type PodPorts,
  type PortForwardSession,
  type PortForwardTarget,
  serveForwardStreams,
} from './portforward.js';
import { SpdyServerSession } from './spdy-session.js';

/**
 * k8s.io/apimachinery/pkg/util/portforward constants.go: WebsocketsSPDYTunnelingPrefix. kubectl
 * 1.31+ (PortForwardWebsockets, on by default) offers `SPDY/3.1+portforward.k8s.io`.
 */
const SPDY_TUNNEL_PREFIX = 'SPDY/3.1+';
export const TUNNELED_PORT_FORWARD_PROTOCOL = `${SPDY_TUNNEL_PREFIX}${PORT_FORWARD_PROTOCOL}`;
/**
 * ws refuses a subprotocol with '/' (not an RFC 7230 token character) where gorilla/websocket,
 * on both kubectl's and the API server's side, takes it: the handshake runs on this stand-in
 * token and the 101 names the real protocol.
 */
const TUNNEL_TOKEN = 'gatehouse-testkit-spdy-tunnel';

/**
 * kubelet pkg/cri/streaming/portforward/websocket.go handleWebSocketStreams: the channel
 * protocols it accepts ("" when the client names none; base64 is text frames).
 */
const CHANNEL_PROTOCOLS = ['v4.channel.k8s.io', 'v4.base64.channel.k8s.io'] as const;

/** The WebSocket subprotocols offered in Sec-WebSocket-Protocol, in the client's order. */
function offeredProtocols(req: IncomingMessage): string[] {
  return String(req.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
}

/** Whether the client asks for SPDY tunnelled through WebSocket (apiserver streamtunnel.go's test). */
export function asksForSpdyTunnel(req: IncomingMessage): boolean {
  return offeredProtocols(req).some((p) => p.startsWith(SPDY_TUNNEL_PREFIX) && p.endsWith('.k8s.io'));
}

/**
 * The ports asked for: the apiserver reads PodPortForwardOptions' `ports` query parameter (and
 * passes them to the kubelet as `port`, pkg/registry/core/pod/strategy.go PortForwardLocation);
 * websocket.go NewV4Options splits each on commas and refuses an empty or unparsable one.
 */
export function requestedPorts(query: URLSearchParams): number[] | string {
  const values = query.getAll('ports');
  if (values.length === 0) return 'query parameter "port" is required';
  const ports: number[] = [];
  for (const value of values) {
    if (value === '') return 'query parameter "port" cannot be empty';
    for (const part of value.split(',')) {
      const port = /^\d+$/.test(part) ? Number(part) : Number.NaN;
      if (!(port >= 0 && port <= 65535)) return `unable to parse "${value}" as a port`;
      if (port < 1) return `port "${value}" must be > 0`;
      ports.push(port);
    }
  }
  return ports;
}

/**
 * Serves pods/portforward over WebSocket in both ways the API server offers it.
 *
 * - The channel protocol (client-node, the Python client): the API server proxies the upgrade
 *   to the kubelet, whose websocket.go opens two channels per requested port — data 2i
 *   (read-write), error 2i+1 (write-only) — writes the port as a little-endian uint16 as the
 *   first message on each, then forwards one connection per port for the life of the WebSocket;
 *   a failure is written on the error channel, and the WebSocket closes once every port is done
 *   (handleWebSocketStreams' deferred conn.Close).
 * - SPDY tunnelled through WebSocket (kubectl 1.31+): apiserver
 *   pkg/util/proxy/streamtunnel.go TunnelingHandler answers with the prefixed protocol the
 *   kubelet chose, and every binary message then carries SPDY/3.1 bytes
 *   (client-go tools/portforward tunneling_connection.go); the SPDY session is the kubelet's
 *   httpstream.go one.
 */
export class WebSocketPortForward {
  #wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (offered) =>
      offered.has(TUNNEL_TOKEN) ? TUNNEL_TOKEN : (CHANNEL_PROTOCOLS.find((p) => offered.has(p)) ?? false),
  });

  constructor(
    private readonly ports: PodPorts,
    private readonly sessions: PortForwardSession[],
  ) {
    // The 101 names the protocol as kubectl offered it (streamtunnel.go InitializeWrite).
    this.#wss.on('headers', (headers) => {
      const at = headers.indexOf(`Sec-WebSocket-Protocol: ${TUNNEL_TOKEN}`);
      if (at !== -1) headers[at] = `Sec-WebSocket-Protocol: ${TUNNELED_PORT_FORWARD_PROTOCOL}`;
    });
  }

  /** Why this upgrade cannot be served, or undefined when it can (checked before the 101). */
  static refusal(req: IncomingMessage, query: URLSearchParams): string | undefined {
    const offered = offeredProtocols(req);
    if (asksForSpdyTunnel(req)) {
      return offered.includes(TUNNELED_PORT_FORWARD_PROTOCOL)
        ? undefined
        : `unable to upgrade: unable to negotiate protocol: client supports [${offered.join(' ')}], server accepts [${PORT_FORWARD_PROTOCOL}]`;
    }
    if (offered.length > 0 && !CHANNEL_PROTOCOLS.some((p) => offered.includes(p))) {
      // golang.org/x/net/websocket refuses the handshake (wsstream conn.go handshake).
      return `requested protocol(s) are not supported: [${offered.join(' ')}]; supports ["" ${CHANNEL_PROTOCOLS.join(' ')}]`;
    }
    const ports = requestedPorts(query);
    return typeof ports === 'string' ? ports : undefined;
  }

  upgrade(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    target: PortForwardTarget,
    query: URLSearchParams,
  ): void {
    if (asksForSpdyTunnel(req)) req.headers['sec-websocket-protocol'] = TUNNEL_TOKEN;
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      if (ws.protocol === TUNNEL_TOKEN) {
        serveForwardStreams(
          new SpdyServerSession(tunnel(ws)),
          'spdy-over-websocket',
          target,
          this.ports,
          this.sessions,
        );
      } else this.#channels(ws, target, requestedPorts(query) as number[]);
    });
  }

  close(): void {
    for (const client of this.#wss.clients) client.terminate();
    this.#wss.close();
  }

  #channels(ws: WebSocket, target: PortForwardTarget, ports: number[]): void {
    const base64 = ws.protocol.startsWith('v4.base64.');
    const send = (channel: number, data: Buffer) => {
      if (ws.readyState !== ws.OPEN) return;
      if (base64) ws.send(`${String.fromCharCode(0x30 + channel)}${data.toString('base64')}`);
      else ws.send(Buffer.concat([Buffer.from([channel]), data]));
    };
    let open = ports.length;
    const forwarded = ports.map((port, i) => {
      const session = newForwardSession(target, port, 'websocket', String(i * 2));
      this.sessions.push(session.record);
      const portBytes = Buffer.alloc(2);
      portBytes.writeUInt16LE(port);
      send(i * 2, portBytes);
      send(i * 2 + 1, portBytes);
      let ended = false;
      dialPod(
        session.record,
        this.ports,
        target,
        {
          data: (chunk) => send(i * 2, chunk),
          error: (text) => send(i * 2 + 1, Buffer.from(text)),
          end: () => {
            if (ended) return;
            ended = true;
            open -= 1;
            if (open === 0) ws.close(1000);
          },
        },
        session.fromClient,
      );
      return session;
    });
    ws.on('message', (message: Buffer) => {
      if (message.length === 0) return;
      const channel = base64 ? message[0]! - 0x30 : message[0]!;
      const payload = base64
        ? Buffer.from(message.subarray(1).toString('latin1'), 'base64')
        : Buffer.from(message.subarray(1));
      // Only the data channels are read; a frame for any other channel is dropped (conn.go handle).
      if (channel % 2 === 0) forwarded[channel / 2]?.fromClient.write(payload);
    });
    // The client going away ends every forwarded connection.
    ws.on('error', () => ws.terminate());
    ws.on('close', () => {
      for (const session of forwarded) session.fromClient.destroy();
    });
  }
}

/** The WebSocket as the byte stream SPDY runs on: each binary message is more of it, each write one message. */
function tunnel(ws: WebSocket): Duplex {
  const duplex = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, callback) {
      if (ws.readyState !== ws.OPEN) return callback();
      ws.send(chunk, { binary: true }, (error) => callback(error ?? null));
    },
    final(callback) {
      // TunnelingConnection.Close: a normal close message, then the connection ends.
      ws.close(1000);
      callback();
    },
  });
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    // tunneling_connection.go Read: anything but a binary message is "invalid message type received".
    if (isBinary) duplex.push(data);
    else duplex.destroy(new Error('invalid message type received'));
  });
  ws.on('error', () => ws.terminate());
  ws.on('close', () => duplex.destroy());
  return duplex;
}
