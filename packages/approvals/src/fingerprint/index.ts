import { createHash } from 'node:crypto';
import type { KubernetesIdentity } from '@gatehouse/config';
import type { Action } from '@gatehouse/policy';
import type { HeldRequest } from '../model.js';

export interface FingerprintInput {
  readonly agent: string;
  readonly cluster: string;
  readonly action: Action;
  readonly request: Pick<HeldRequest, 'method' | 'path' | 'query' | 'bodySha256' | 'headers'>;
  /** Who the request runs as on the cluster; absent where the cluster does not impersonate. */
  readonly runAs?: KubernetesIdentity | undefined;
}

/** Verbs that open a stream; kubectl tries them over WebSocket (GET) and retries over SPDY (POST). */
const CONNECT_VERBS: ReadonlySet<string> = new Set(['exec', 'attach', 'portforward']);

export function isConnectVerb(verb: string): boolean {
  return CONNECT_VERBS.has(verb);
}

/**
 * Identity of "the same request": sha256 hex over everything that gives the request its meaning on
 * the cluster — agent, cluster, method, path, canonical query, Content-Type, body hash, and the
 * identity it runs as (user, groups, extras). The same body bytes mean different things as a merge
 * patch, a strategic merge patch, a JSON patch or server-side apply (the API server picks the patch
 * type from Content-Type), so an approval for one is never a grant for another.
 *
 * Connect verbs get the method `CONNECT` and no Content-Type, so kubectl's WebSocket GET and its SPDY
 * POST retry of one `kubectl exec` map to one approval (the API server reads neither's body). Query
 * parameters are stably sorted by name (repeated names such as `command=` keep their order, which is
 * meaningful); the path is used as received. Extras the gateway adds at dispatch (the approval id) are
 * not part of it: they do not exist yet when the request is judged.
 */
export function fingerprintOf(input: FingerprintInput): string {
  const connect = isConnectVerb(input.action.verb);
  const { request } = input;
  const fields = [
    input.agent,
    input.cluster,
    connect ? 'CONNECT' : request.method.toUpperCase(),
    request.path,
    canonicalQuery(request.query),
    connect ? '' : canonicalContentType(request.headers['content-type']),
    request.bodySha256,
    canonicalRunAs(input.runAs),
  ];
  return createHash('sha256').update(JSON.stringify(fields)).digest('hex');
}

function canonicalQuery(query: string): string {
  if (query === '') return '';
  const pairs = query.split('&').filter((pair) => pair !== '');
  const name = (pair: string): string => pair.split('=', 1)[0] ?? '';
  // Array.prototype.sort is stable, so values of a repeated name keep their order.
  return pairs.sort((a, b) => byCodeUnit(name(a), name(b))).join('&');
}

/**
 * The media type as the API server compares it (case-insensitive type/subtype, RFC 9110 §8.3.1),
 * parameters kept with lower-cased names in their order: `application/merge-patch+json` and
 * `Application/Merge-Patch+JSON` are one request; `application/apply-patch+yaml` is another.
 */
function canonicalContentType(value: string | undefined): string {
  if (value === undefined) return '';
  const [essence = '', ...parameters] = value.split(';').map((part) => part.trim());
  const normalized = parameters
    .filter((parameter) => parameter !== '')
    .map((parameter) => {
      const at = parameter.indexOf('=');
      return at < 0
        ? parameter.toLowerCase()
        : `${parameter.slice(0, at).trim().toLowerCase()}=${parameter.slice(at + 1).trim()}`;
    });
  return [essence.toLowerCase(), ...normalized].join(';');
}

/** Group order and extra-key order carry no meaning to the API server; values of one extra keep theirs. */
function canonicalRunAs(runAs: KubernetesIdentity | undefined): unknown {
  if (!runAs) return null;
  const extra = Object.entries(runAs.extra ?? {})
    .map(([key, values]): [string, readonly string[]] => [key.toLowerCase(), values])
    .sort(([a], [b]) => byCodeUnit(a, b));
  return { user: runAs.user, groups: [...runAs.groups].sort(byCodeUnit), extra };
}

function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
