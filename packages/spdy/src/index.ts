export { HEADER_DICTIONARY } from './dictionary.js';
export { SpdyErrorCode, SpdyProtocolError } from './errors.js';
export {
  createFrameReader,
  encodeFrame,
  FLAG_FIN,
  FLAG_UNIDIRECTIONAL,
  RST_STATUS,
  SPDY_VERSION,
  type SpdyFrame,
} from './frames.js';
export {
  decodeHeaderBlock,
  encodeHeaderBlock,
  HeaderDeflater,
  HeaderInflater,
  MAX_COMPRESSED_HEADER_BYTES,
  type SpdyHeaders,
} from './headers.js';
