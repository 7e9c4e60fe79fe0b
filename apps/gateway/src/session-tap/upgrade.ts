import type { StreamDecoder } from './spdy.js';

/** Sees the bytes of an upgraded connection in both directions without changing them. */
export interface ByteTap {
  fromClient(chunk: Buffer): void;
  fromUpstream(chunk: Buffer): void;
  /** Why the session is not (or no longer) being decoded; undefined while it is. */
  problem(): string | undefined;
}

/** The cluster's 101: what the connection was switched to. */
export interface UpgradeAnswer {
  /** `websocket` or `spdy/3.1`, lower case. */
  readonly upgrade: string;
  /** Sec-WebSocket-Protocol (WebSocket) or X-Stream-Protocol-Version (SPDY), as the cluster chose it. */
  readonly protocol: string;
}

const HEAD_END = Buffer.from('\r\n\r\n');
const WEBSOCKET_PROTOCOL = /^sec-websocket-protocol:\s*(\S+)\s*$/im;
const STREAM_PROTOCOL = /^x-stream-protocol-version:\s*(\S+)\s*$/im;
const UPGRADE = /^upgrade:\s*(\S+)\s*$/im;
const STATUS = /^HTTP\/1\.1 (\d{3})/;

/**
 * Reads the cluster's answer to an upgrade, then hands both directions' bytes to the decoder
 * `choose` picks for it (client bytes sent before the 101 included), or keeps the reason it gives
 * for not decoding. Nothing is decoded when the cluster does not switch protocols.
 */
export function upgradeTap(choose: (answer: UpgradeAnswer) => StreamDecoder | string): ByteTap {
  let head: Buffer = Buffer.alloc(0);
  let decoder: StreamDecoder | undefined;
  let pendingClient: Buffer[] = [];
  /** Set once the upgrade answer is read and is not a session this tap decodes. */
  let unreadable: string | undefined;

  return {
    fromClient(chunk) {
      if (decoder) decoder.fromClient(chunk);
      // The client may send before the 101 has been seen.
      else if (unreadable === undefined) pendingClient.push(chunk);
    },
    fromUpstream(chunk) {
      if (decoder) {
        decoder.fromUpstream(chunk);
        return;
      }
      if (unreadable !== undefined) return;
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf(HEAD_END);
      if (end === -1) return;
      const text = head.subarray(0, end).toString('latin1');
      const status = STATUS.exec(text)?.[1];
      const pending = pendingClient;
      pendingClient = [];
      if (status !== '101') {
        unreadable = `the cluster answered ${status ?? 'something other than HTTP/1.1'} instead of opening a session`;
        return;
      }
      const upgrade = (UPGRADE.exec(text)?.[1] ?? '').toLowerCase();
      const protocol =
        (upgrade === 'websocket' ? WEBSOCKET_PROTOCOL : STREAM_PROTOCOL).exec(text)?.[1] ?? 'no protocol';
      const chosen = choose({ upgrade, protocol });
      if (typeof chosen === 'string') {
        unreadable = chosen;
        return;
      }
      decoder = chosen;
      for (const early of pending) chosen.fromClient(early);
      const rest = head.subarray(end + HEAD_END.length);
      if (rest.length > 0) chosen.fromUpstream(rest);
    },
    problem: () =>
      decoder
        ? decoder.failure
        : (unreadable ?? 'the connection ended before the cluster answered the upgrade'),
  };
}
