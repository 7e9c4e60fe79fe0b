import { createHash } from 'node:crypto';
import type { Action } from '@gatehouse/policy';
import type { HeldRequest } from '../model.js';

export interface FingerprintInput {
  readonly agent: string;
  readonly cluster: string;
  readonly action: Action;
  readonly request: Pick<HeldRequest, 'method' | 'path' | 'query' | 'bodySha256'>;
}

/** Verbs that open a stream; kubectl tries them over WebSocket (GET) and retries over SPDY (POST). */
const CONNECT_VERBS: ReadonlySet<string> = new Set(['exec', 'attach', 'portforward']);

export function isConnectVerb(verb: string): boolean {
  return CONNECT_VERBS.has(verb);
}

/**
 * Identity of "the same request": sha256 hex over agent, cluster, method, path, query and body hash.
 * Connect verbs get the method `CONNECT`, so kubectl's WebSocket GET and its SPDY POST retry of one
 * `kubectl exec` map to one approval. Query parameters are stably sorted by name (repeated names such
 * as `command=` keep their order, which is meaningful); the path is used as received.
 */
export function fingerprintOf(input: FingerprintInput): string {
  const method = isConnectVerb(input.action.verb) ? 'CONNECT' : input.request.method.toUpperCase();
  const parts = [input.agent, input.cluster, method, input.request.path, canonicalQuery(input.request.query)];
  return createHash('sha256')
    .update(JSON.stringify([...parts, input.request.bodySha256]))
    .digest('hex');
}

function canonicalQuery(query: string): string {
  if (query === '') return '';
  const pairs = query.split('&').filter((pair) => pair !== '');
  const name = (pair: string): string => pair.split('=', 1)[0] ?? '';
  // Array.prototype.sort is stable, so values of a repeated name keep their order.
  return pairs.sort((a, b) => (name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0)).join('&');
}
