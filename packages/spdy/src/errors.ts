/** Codes of the errors this package throws; callers branch on `code`, never on message text. */
export enum SpdyErrorCode {
  /** The bytes are not SPDY/3.1 as this codec reads it: a wrong version, a short frame, a bad header block. */
  Protocol = 'SPDY_PROTOCOL',
}

export class SpdyProtocolError extends Error {
  override readonly name = 'SpdyProtocolError';
  readonly code = SpdyErrorCode.Protocol;
}
