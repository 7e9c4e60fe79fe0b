import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';

/** What the app answered to one envelope: `{ envelope_id, payload? }` as Socket Mode clients ack. */
export interface SocketAck {
  readonly envelope_id: string;
  readonly payload?: Record<string, unknown> | undefined;
}

export type EnvelopeType = 'interactive' | 'slash_commands' | 'events_api';

/**
 * Slack's side of Socket Mode: `apps.connections.open` hands out a WebSocket URL here; on connect
 * the fake says `hello`; `send` wraps a payload in an envelope and resolves with the app's ack.
 */
export class SocketModeServer {
  readonly #sockets = new Set<WebSocket>();
  readonly #waiting = new Map<string, (ack: SocketAck) => void>();
  readonly #wss = new WebSocketServer({ noServer: true });
  readonly #tickets = new Set<string>();

  constructor(server: Server) {
    server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      const url = new URL(request.url ?? '/', 'http://fake');
      const ticket = url.searchParams.get('ticket') ?? '';
      if (url.pathname !== '/socket-mode' || !this.#tickets.delete(ticket)) {
        socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
        return;
      }
      this.#wss.handleUpgrade(request, socket, head, (ws) => this.#accept(ws));
    });
  }

  /** A one-time URL, as apps.connections.open returns. */
  issueUrl(base: string): string {
    const ticket = randomUUID();
    this.#tickets.add(ticket);
    return `${base.replace(/^http/, 'ws')}/socket-mode?ticket=${ticket}`;
  }

  get connections(): number {
    return this.#sockets.size;
  }

  /** Delivers one envelope to a connected app and resolves with its ack. */
  send(type: EnvelopeType, payload: Record<string, unknown>): Promise<SocketAck> {
    const [socket] = this.#sockets;
    if (!socket) return Promise.reject(new Error('no Socket Mode connection: is the app started?'));
    const envelopeId = randomUUID();
    return new Promise((resolve) => {
      this.#waiting.set(envelopeId, resolve);
      socket.send(
        JSON.stringify({
          envelope_id: envelopeId,
          type,
          payload,
          accepts_response_payload: type !== 'events_api',
          retry_attempt: 0,
          retry_reason: '',
        }),
      );
    });
  }

  close(): void {
    for (const socket of this.#sockets) socket.terminate();
    this.#wss.close();
  }

  #accept(ws: WebSocket): void {
    this.#sockets.add(ws);
    ws.on('close', () => this.#sockets.delete(ws));
    ws.on('message', (data) => {
      const ack = JSON.parse(String(data)) as SocketAck;
      this.#waiting.get(ack.envelope_id)?.(ack);
      this.#waiting.delete(ack.envelope_id);
    });
    ws.send(
      JSON.stringify({
        type: 'hello',
        num_connections: this.#sockets.size,
        debug_info: { host: 'gatehouse-fake', approximate_connection_time: 3600 },
        connection_info: { app_id: 'A0GATEHOUSE' },
      }),
    );
  }
}
