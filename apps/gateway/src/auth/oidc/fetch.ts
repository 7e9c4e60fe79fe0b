import { rootCertificates } from 'node:tls';
import { Agent, request } from 'undici';
import { GatewayError, GatewayErrorCode } from '../../errors.js';

/** GETs a JSON document from an identity provider; rejects with a coded error naming the URL. */
export type FetchJson = (url: string) => Promise<unknown>;

/** Discovery documents and key sets are a few KiB; a bound keeps a broken issuer from filling memory. */
const MAX_DOCUMENT_BYTES = 1024 * 1024;
const TIMEOUT_MS = 5_000;

const unavailable = (url: string, why: string, cause?: unknown) =>
  new GatewayError(GatewayErrorCode.IdentityProviderUnavailable, `cannot fetch ${url}: ${why}`, { cause });

/**
 * An HTTPS client for one identity provider. It trusts Node's built-in CA list, plus `caPem` when the
 * provider configures a `caFile` (an in-cluster issuer, a private CA). Redirects are not followed
 * (undici's request does not), as jose's own JWKS fetch refuses them (`redirect: 'manual'`).
 */
export function createIssuerFetch(caPem?: string): { fetchJson: FetchJson; close(): Promise<void> } {
  const dispatcher = new Agent({
    connect: caPem ? { ca: [...rootCertificates, caPem] } : {},
    headersTimeout: TIMEOUT_MS,
    bodyTimeout: TIMEOUT_MS,
  });
  const fetchJson: FetchJson = async (url) => {
    if (!url.startsWith('https://')) throw unavailable(url, 'only https:// URLs are fetched');
    let answer: Awaited<ReturnType<typeof request>>;
    try {
      answer = await request(url, {
        dispatcher,
        headers: { accept: 'application/json, application/jwk-set+json' },
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (error) {
      throw unavailable(url, (error as Error).message, error);
    }
    const chunks: Buffer[] = [];
    let bytes = 0;
    try {
      for await (const chunk of answer.body) {
        bytes += (chunk as Buffer).length;
        if (bytes > MAX_DOCUMENT_BYTES) {
          answer.body.destroy();
          throw unavailable(url, `the answer is larger than ${MAX_DOCUMENT_BYTES} bytes`);
        }
        chunks.push(chunk as Buffer);
      }
    } catch (error) {
      if (error instanceof GatewayError) throw error;
      throw unavailable(url, (error as Error).message, error);
    }
    if (answer.statusCode !== 200) throw unavailable(url, `HTTP ${answer.statusCode}`);
    try {
      return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
    } catch (error) {
      throw unavailable(url, 'the answer is not JSON', error);
    }
  };
  return { fetchJson, close: () => dispatcher.close() };
}
