import { gunzipSync } from 'node:zlib';
import { parse as parseYaml } from 'yaml';
import type { KubeRequest } from '../types.js';

/**
 * Decoded request bodies are bounded so a gzip bomb cannot exhaust memory: the gateway
 * already caps raw bodies (3 MiB by default); 16 MiB leaves room for honest compression.
 */
export const MAX_DECODED_BODY_BYTES = 16 * 1024 * 1024;

/** Body formats the parser reads; anything else is undecodable. */
export type BodyFormat = 'json' | 'yaml';

/** `undefined` result = the body could not be read (absent, compressed oddly, not UTF-8, not JSON/YAML). */
export type DecodedBody = { readonly value: unknown } | undefined;

/** A header as one string; several values or none give `undefined` (ambiguous is as bad as absent). */
export function singleHeader(req: KubeRequest, name: string): string | undefined {
  const value = req.headers[name];
  if (Array.isArray(value)) return value.length === 1 ? value[0] : undefined;
  return typeof value === 'string' ? value : undefined;
}

/** The media type of Content-Type without parameters, lower case ('' when absent). */
export function mediaType(req: KubeRequest): string {
  return (singleHeader(req, 'content-type') ?? '').split(';')[0]!.trim().toLowerCase();
}

export function decodeBody(req: KubeRequest, format: BodyFormat): DecodedBody {
  const bytes = decompress(req);
  if (bytes === undefined || bytes.length === 0) return undefined;
  let text: string;
  try {
    // ignoreBOM keeps a leading byte-order mark in the text. The API server picks its decoder from
    // Content-Type alone (negotiation.NegotiateInputSerializer) and its JSON decoder is Go's
    // encoding/json, which refuses a BOM ("invalid character 'ï' looking for beginning of value"):
    // JSON.parse refuses it too. go-yaml (sigs.k8s.io/yaml) skips one, and so does `yaml`.
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return undefined;
  }
  try {
    if (format === 'json') return { value: JSON.parse(text) };
    // sigs.k8s.io/yaml reads YAML 1.1 and refuses duplicate keys; so do we, so both sides agree.
    return { value: parseYaml(text, { version: '1.1', uniqueKeys: true, maxAliasCount: 100 }) };
  } catch {
    return undefined;
  }
}

function decompress(req: KubeRequest): Uint8Array | undefined {
  if (req.body === undefined) return undefined;
  if (req.headers['content-encoding'] === undefined) return req.body;
  const encoding = singleHeader(req, 'content-encoding')?.trim().toLowerCase();
  if (encoding === 'identity') return req.body;
  if (encoding !== 'gzip') return undefined;
  try {
    return gunzipSync(req.body, { maxOutputLength: MAX_DECODED_BODY_BYTES });
  } catch {
    return undefined;
  }
}
