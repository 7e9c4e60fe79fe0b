import { SpdyProtocolError } from './errors.js';

/**
 * SPDY/3.1 framing (draft-mbelshe-httpbis-spdy-00 §2.2, as moby/spdystream spdy/read.go and
 * write.go implement it for kubectl and the kubelet). Header blocks stay compressed here;
 * headers.ts inflates and deflates them, since that needs the session's zlib state.
 */
export const SPDY_VERSION = 3;

export const FLAG_FIN = 0x01;
/** SYN_STREAM only: the receiver sends nothing back on the stream. */
export const FLAG_UNIDIRECTIONAL = 0x02;

const TYPE = {
  synStream: 1,
  synReply: 2,
  rstStream: 3,
  settings: 4,
  ping: 6,
  goAway: 7,
  headers: 8,
  windowUpdate: 9,
} as const;

/** RST_STREAM status codes (§2.6.3) the testkit and gateway send or name. */
export const RST_STATUS = { protocolError: 1, cancel: 5, internalError: 6 } as const;

export type SpdyFrame =
  | { readonly type: 'data'; readonly streamId: number; readonly fin: boolean; readonly data: Buffer }
  | {
      readonly type: 'syn_stream';
      readonly streamId: number;
      readonly associatedStreamId: number;
      readonly fin: boolean;
      readonly unidirectional: boolean;
      readonly headerBlock: Buffer;
    }
  | {
      readonly type: 'syn_reply';
      readonly streamId: number;
      readonly fin: boolean;
      readonly headerBlock: Buffer;
    }
  | {
      readonly type: 'headers';
      readonly streamId: number;
      readonly fin: boolean;
      readonly headerBlock: Buffer;
    }
  | { readonly type: 'rst_stream'; readonly streamId: number; readonly status: number }
  | { readonly type: 'settings'; readonly entries: readonly { id: number; flags: number; value: number }[] }
  | { readonly type: 'ping'; readonly id: number }
  | { readonly type: 'goaway'; readonly lastGoodStreamId: number; readonly status: number }
  | { readonly type: 'window_update'; readonly streamId: number; readonly delta: number }
  /** A control frame type this codec does not know; SPDY says to ignore it. */
  | { readonly type: 'unknown'; readonly frameType: number };

const HEADER_LENGTH = 8;
const STREAM_ID_MASK = 0x7fffffff;

function control(type: number, flags: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(HEADER_LENGTH);
  header.writeUInt16BE(0x8000 | SPDY_VERSION, 0);
  header.writeUInt16BE(type, 2);
  header.writeUInt32BE(((flags & 0xff) << 24) | payload.length, 4);
  return Buffer.concat([header, payload]);
}

function words(...values: number[]): Buffer {
  const buffer = Buffer.alloc(values.length * 4);
  for (const [i, value] of values.entries()) buffer.writeUInt32BE(value >>> 0, i * 4);
  return buffer;
}

/** Serialises one frame; header blocks must already be compressed with the session's deflater. */
export function encodeFrame(frame: SpdyFrame): Buffer {
  switch (frame.type) {
    case 'data': {
      if (frame.data.length > 0xffffff) throw new SpdyProtocolError('a DATA frame holds at most 16 MiB');
      const header = Buffer.alloc(HEADER_LENGTH);
      header.writeUInt32BE(frame.streamId & STREAM_ID_MASK, 0);
      header.writeUInt32BE(((frame.fin ? FLAG_FIN : 0) << 24) | frame.data.length, 4);
      return Buffer.concat([header, frame.data]);
    }
    case 'syn_stream': {
      const fixed = Buffer.alloc(10);
      fixed.writeUInt32BE(frame.streamId & STREAM_ID_MASK, 0);
      fixed.writeUInt32BE(frame.associatedStreamId & STREAM_ID_MASK, 4);
      const flags = (frame.fin ? FLAG_FIN : 0) | (frame.unidirectional ? FLAG_UNIDIRECTIONAL : 0);
      return control(TYPE.synStream, flags, Buffer.concat([fixed, frame.headerBlock]));
    }
    case 'syn_reply':
    case 'headers': {
      const type = frame.type === 'syn_reply' ? TYPE.synReply : TYPE.headers;
      const id = words(frame.streamId & STREAM_ID_MASK);
      return control(type, frame.fin ? FLAG_FIN : 0, Buffer.concat([id, frame.headerBlock]));
    }
    case 'rst_stream':
      return control(TYPE.rstStream, 0, words(frame.streamId & STREAM_ID_MASK, frame.status));
    case 'settings': {
      const entries = frame.entries.flatMap((e) => [((e.flags & 0xff) << 24) | (e.id & 0xffffff), e.value]);
      return control(TYPE.settings, 0, words(frame.entries.length, ...entries));
    }
    case 'ping':
      return control(TYPE.ping, 0, words(frame.id));
    case 'goaway':
      return control(TYPE.goAway, 0, words(frame.lastGoodStreamId & STREAM_ID_MASK, frame.status));
    case 'window_update':
      return control(
        TYPE.windowUpdate,
        0,
        words(frame.streamId & STREAM_ID_MASK, frame.delta & STREAM_ID_MASK),
      );
    case 'unknown':
      throw new SpdyProtocolError(`cannot encode a control frame of unknown type ${frame.frameType}`);
  }
}

function need(payload: Buffer, length: number, what: string): void {
  if (payload.length < length)
    throw new SpdyProtocolError(`${what} frame is ${payload.length} bytes; it needs at least ${length}`);
}

function decodeControl(type: number, flags: number, payload: Buffer): SpdyFrame {
  const fin = (flags & FLAG_FIN) !== 0;
  switch (type) {
    case TYPE.synStream:
      need(payload, 10, 'SYN_STREAM');
      return {
        type: 'syn_stream',
        streamId: payload.readUInt32BE(0) & STREAM_ID_MASK,
        associatedStreamId: payload.readUInt32BE(4) & STREAM_ID_MASK,
        fin,
        unidirectional: (flags & FLAG_UNIDIRECTIONAL) !== 0,
        headerBlock: payload.subarray(10),
      };
    case TYPE.synReply:
    case TYPE.headers:
      need(payload, 4, type === TYPE.synReply ? 'SYN_REPLY' : 'HEADERS');
      return {
        type: type === TYPE.synReply ? 'syn_reply' : 'headers',
        streamId: payload.readUInt32BE(0) & STREAM_ID_MASK,
        fin,
        headerBlock: payload.subarray(4),
      };
    case TYPE.rstStream:
      need(payload, 8, 'RST_STREAM');
      return {
        type: 'rst_stream',
        streamId: payload.readUInt32BE(0) & STREAM_ID_MASK,
        status: payload.readUInt32BE(4),
      };
    case TYPE.settings: {
      need(payload, 4, 'SETTINGS');
      const count = payload.readUInt32BE(0);
      need(payload, 4 + count * 8, 'SETTINGS');
      const entries = [];
      for (let i = 0; i < count; i++) {
        const flagId = payload.readUInt32BE(4 + i * 8);
        entries.push({ flags: flagId >>> 24, id: flagId & 0xffffff, value: payload.readUInt32BE(8 + i * 8) });
      }
      return { type: 'settings', entries };
    }
    case TYPE.ping:
      need(payload, 4, 'PING');
      return { type: 'ping', id: payload.readUInt32BE(0) };
    case TYPE.goAway:
      need(payload, 8, 'GOAWAY');
      return {
        type: 'goaway',
        lastGoodStreamId: payload.readUInt32BE(0) & STREAM_ID_MASK,
        status: payload.readUInt32BE(4),
      };
    case TYPE.windowUpdate:
      need(payload, 8, 'WINDOW_UPDATE');
      return {
        type: 'window_update',
        streamId: payload.readUInt32BE(0) & STREAM_ID_MASK,
        delta: payload.readUInt32BE(4) & STREAM_ID_MASK,
      };
    default:
      return { type: 'unknown', frameType: type };
  }
}

/**
 * Splits a byte stream into frames, across chunk boundaries. Throws SpdyProtocolError on a
 * control frame of another SPDY version; the caller decides what that ends.
 */
export function createFrameReader(onFrame: (frame: SpdyFrame) => void): (chunk: Buffer) => void {
  let buffered: Buffer = Buffer.alloc(0);
  return (chunk) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    while (buffered.length >= HEADER_LENGTH) {
      const word = buffered.readUInt32BE(0);
      const flagsLength = buffered.readUInt32BE(4);
      const length = flagsLength & 0xffffff;
      if (buffered.length < HEADER_LENGTH + length) return;
      const flags = flagsLength >>> 24;
      const payload = buffered.subarray(HEADER_LENGTH, HEADER_LENGTH + length);
      buffered = buffered.subarray(HEADER_LENGTH + length);
      if ((word & 0x80000000) === 0) {
        onFrame({
          type: 'data',
          streamId: word & STREAM_ID_MASK,
          fin: (flags & FLAG_FIN) !== 0,
          data: payload,
        });
        continue;
      }
      const version = (word >>> 16) & 0x7fff;
      if (version !== SPDY_VERSION)
        throw new SpdyProtocolError(`control frame of SPDY version ${version}; only version 3 is spoken`);
      onFrame(decodeControl(word & 0xffff, flags, payload));
    }
  };
}
