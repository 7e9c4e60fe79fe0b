import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { TestkitError, TestkitErrorCode } from '../errors.js';

const PREFIX = 'k8s-aws-v1.';
/** SHA-256 of an empty body: a presigned GET signs no payload. */
const EMPTY_PAYLOAD_SHA256 = createHash('sha256').update('').digest('hex');

/** What an EKS bearer token carries, read back for assertions. */
export interface DecodedEksToken {
  /** The presigned STS GetCallerIdentity URL. */
  readonly url: URL;
  /** Its query parameters, decoded. */
  readonly params: Readonly<Record<string, string>>;
  /** The key that signed it, from X-Amz-Credential. */
  readonly accessKeyId: string;
  readonly region: string;
  /** X-Amz-Date. */
  readonly signedAt: Date;
  /** X-Amz-SignedHeaders, split. */
  readonly signedHeaders: readonly string[];
  readonly sessionToken: string | undefined;
  readonly signature: string;
}

function malformed(why: string): TestkitError {
  return new TestkitError(TestkitErrorCode.EksTokenMalformed, `not an EKS token: ${why}`);
}

function required(params: Record<string, string>, name: string): string {
  const value = params[name];
  if (value === undefined) throw malformed(`the presigned URL has no ${name}`);
  return value;
}

/** Decodes `k8s-aws-v1.<base64url URL>` (with or without a `Bearer ` prefix). */
export function decodeEksToken(token: string): DecodedEksToken {
  const bare = token.replace(/^Bearer /, '');
  if (!bare.startsWith(PREFIX)) throw malformed(`it does not start with ${PREFIX}`);
  const encoded = bare.slice(PREFIX.length);
  if (!/^[A-Za-z0-9_-]+$/.test(encoded)) throw malformed('the payload is not unpadded base64url');
  let url: URL;
  try {
    url = new URL(Buffer.from(encoded, 'base64url').toString('utf8'));
  } catch {
    throw malformed('the payload is not a URL');
  }
  const params = Object.fromEntries(url.searchParams);
  const [accessKeyId, date, region] = required(params, 'X-Amz-Credential').split('/');
  const amzDate = required(params, 'X-Amz-Date');
  const iso = amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z');
  if (!accessKeyId || !date || !region || iso === amzDate)
    throw malformed('X-Amz-Credential or X-Amz-Date is malformed');
  return {
    url,
    params,
    accessKeyId,
    region,
    signedAt: new Date(iso),
    signedHeaders: required(params, 'X-Amz-SignedHeaders').split(';'),
    sessionToken: params['X-Amz-Security-Token'],
    signature: required(params, 'X-Amz-Signature'),
  };
}

/** RFC 3986 encoding as SigV4 wants it: encodeURIComponent leaves !'()* alone. */
function sigv4Encode(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

const hmac = (key: Buffer | string, data: string): Buffer => createHmac('sha256', key).update(data).digest();

/**
 * Recomputes the token's SigV4 signature, written from the AWS specification rather than with the
 * gateway's signer, and checks it. True only when the token was signed with `secretAccessKey` over
 * host + `x-k8s-aws-id: clusterName` — i.e. what EKS would accept for that cluster.
 */
export function verifyEksTokenSignature(
  token: string,
  expected: { secretAccessKey: string; clusterName: string },
): boolean {
  const decoded = decodeEksToken(token);
  if (decoded.signedHeaders.join(';') !== 'host;x-k8s-aws-id') return false;
  const query = Object.entries(decoded.params)
    .filter(([key]) => key !== 'X-Amz-Signature')
    .map(([key, value]) => [sigv4Encode(key), sigv4Encode(value)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => `${key}=${value}`)
    .join('&');
  const canonicalRequest = [
    'GET',
    decoded.url.pathname,
    query,
    `host:${decoded.url.host}\nx-k8s-aws-id:${expected.clusterName}\n`,
    'host;x-k8s-aws-id',
    EMPTY_PAYLOAD_SHA256,
  ].join('\n');
  const day = decoded.params['X-Amz-Date']!.slice(0, 8);
  const scope = `${day}/${decoded.region}/sts/aws4_request`;
  const stringToSign = [
    'AWS4-HMAC-SHA256',
    decoded.params['X-Amz-Date'],
    scope,
    createHash('sha256').update(canonicalRequest).digest('hex'),
  ].join('\n');
  const signingKey = hmac(
    hmac(hmac(hmac(`AWS4${expected.secretAccessKey}`, day), decoded.region), 'sts'),
    'aws4_request',
  );
  const computed = hmac(signingKey, stringToSign);
  const given = Buffer.from(decoded.signature, 'hex');
  return given.length === computed.length && timingSafeEqual(given, computed);
}
