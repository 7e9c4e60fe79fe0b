import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import {
  createFrameReader,
  encodeFrame,
  HeaderDeflater,
  HeaderInflater,
  RST_STATUS,
  type SpdyFrame,
  type SpdyHeaders,
} from '@gatehouse/spdy';

/**
 * One stream the client opened (SYN_STREAM). Events: `data` (Buffer), `end` (the client's FIN),
 * `reset` (RST_STREAM or the connection went away).
 */
export class SpdyStream extends EventEmitter {
  #localFin = false;

  constructor(
    readonly id: number,
    readonly headers: SpdyHeaders,
    private readonly session: SpdyServerSession,
  ) {
    super();
  }

  /** First value of a header; SPDY/3 names are lower case (`streamtype`, `port`, `requestid`). */
  header(name: string): string | undefined {
    return this.headers.get(name.toLowerCase())?.[0];
  }

  write(data: Buffer | string): void {
    if (this.#localFin || data.length === 0) return;
    this.session.send({ type: 'data', streamId: this.id, fin: false, data: Buffer.from(data) });
  }

  /** Half-closes our side (an empty DATA frame with FIN), as spdystream's Stream.Close does. */
  end(): void {
    if (this.#localFin) return;
    this.#localFin = true;
    this.session.send({ type: 'data', streamId: this.id, fin: true, data: Buffer.alloc(0) });
  }

  reset(): void {
    this.#localFin = true;
    this.session.send({ type: 'rst_stream', streamId: this.id, status: RST_STATUS.cancel });
  }
}

/**
 * The server side of an upgraded SPDY/3.1 connection, as the kubelet runs it through
 * k8s.io/apimachinery/pkg/util/httpstream/spdy on moby/spdystream: every stream the client
 * opens is accepted with an empty SYN_REPLY (connection.go newSpdyStream), client PINGs are
 * echoed, SETTINGS and WINDOW_UPDATE are ignored (spdystream has no flow control), GOAWAY ends it.
 */
export class SpdyServerSession extends EventEmitter<{ stream: [SpdyStream]; close: [] }> {
  #streams = new Map<number, SpdyStream>();
  #inflater = new HeaderInflater();
  #deflater = new HeaderDeflater();
  #out: Promise<void> = Promise.resolve();
  #closed = false;
  #closing = false;
  #lastStreamId = 0;

  constructor(private readonly socket: Duplex) {
    super();
    const read = createFrameReader((frame) => this.#onFrame(frame));
    socket.on('data', (chunk: Buffer) => {
      try {
        read(chunk);
      } catch {
        // Bytes that are not SPDY/3.1 end the connection, as spdystream's framer error does.
        this.#teardown();
      }
    });
    socket.on('close', () => this.#teardown());
    socket.on('error', () => this.#teardown());
  }

  /** Queues a frame; frames go out in the order they were queued (a SYN_REPLY before its DATA). */
  send(frame: SpdyFrame | Promise<SpdyFrame>): void {
    if (this.#closed || this.#closing) return;
    this.#out = this.#out
      .then(async () => {
        const ready = await frame;
        if (!this.#closed && this.socket.writable) this.socket.write(encodeFrame(ready));
      })
      .catch(() => this.#teardown());
  }

  /**
   * Sends GOAWAY after the queued frames, then ends the connection gracefully: destroying it
   * would drop bytes a TLS socket still buffers. The teardown follows when the socket closes.
   */
  close(): void {
    if (this.#closed || this.#closing) return;
    this.send({ type: 'goaway', lastGoodStreamId: this.#lastStreamId, status: 0 });
    this.#closing = true;
    void this.#out.then(() => this.socket.end());
  }

  #onFrame(frame: SpdyFrame): void {
    switch (frame.type) {
      case 'syn_stream': {
        const stream = new SpdyStream(frame.streamId, this.#inflater.inflate(frame.headerBlock), this);
        this.#lastStreamId = frame.streamId;
        this.#streams.set(frame.streamId, stream);
        this.send(
          this.#deflater.deflate({}).then((headerBlock) => ({
            type: 'syn_reply',
            streamId: frame.streamId,
            fin: false,
            headerBlock,
          })),
        );
        this.emit('stream', stream);
        if (frame.fin) stream.emit('end');
        return;
      }
      case 'data': {
        const stream = this.#streams.get(frame.streamId);
        if (!stream) return;
        if (frame.data.length > 0) stream.emit('data', frame.data);
        if (frame.fin) stream.emit('end');
        return;
      }
      case 'headers':
        // Headers after the SYN_STREAM carry nothing remotecommand or portforward read; keep the zlib state.
        this.#inflater.inflate(frame.headerBlock);
        if (frame.fin) this.#streams.get(frame.streamId)?.emit('end');
        return;
      case 'rst_stream':
        this.#streams.get(frame.streamId)?.emit('reset');
        this.#streams.delete(frame.streamId);
        return;
      case 'ping':
        // Client PING ids are odd; spdystream echoes a ping of the other side's parity.
        if (frame.id % 2 === 1) this.send(frame);
        return;
      case 'goaway':
        this.close();
        return;
      default:
        return;
    }
  }

  #teardown(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const stream of this.#streams.values()) stream.emit('reset');
    this.#streams.clear();
    this.#deflater.close();
    this.socket.destroy();
    this.emit('close');
  }
}
