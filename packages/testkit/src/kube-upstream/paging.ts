import { posix } from 'node:path';
import type { ResourceType } from './resources.js';
import { badRequest, expiredContinue } from './status.js';
import { type KubeObject, type ObjectStore, storageKey } from './store.js';

/** A list's `metadata`, as the API server fills it for a page (apimachinery meta/v1 ListMeta). */
export interface ListMeta {
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

export interface Page {
  readonly items: KubeObject[];
  readonly metadata: ListMeta;
}

/**
 * The continue token, as apiserver storage/continue.go encodes it: base64url (no padding) of
 * `{"v":"meta.k8s.io/v1","rv":<revision>,"start":"<key after the last one returned>"}`. Clients treat
 * it as opaque; it binds the next page to the revision the first page was read at.
 */
interface ContinueToken {
  readonly v: string;
  readonly rv: number;
  readonly start: string;
}

const encode = (rv: number, start: string): string =>
  Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start } satisfies ContinueToken)).toString(
    'base64url',
  );

/** storage.DecodeContinue: the same checks, answered 400 "invalid continue token" by GetList. */
function decode(token: string): ContinueToken {
  const invalid = (why: string) => badRequest(`invalid continue token: continue key is not valid${why}`);
  let parsed: Partial<ContinueToken>;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Partial<ContinueToken>;
  } catch (error) {
    throw invalid(`: ${(error as Error).message}`);
  }
  if (parsed.v !== 'meta.k8s.io/v1') {
    throw invalid(`: server does not recognize this encoded version ${JSON.stringify(parsed.v)}`);
  }
  if (typeof parsed.rv !== 'number' || parsed.rv === 0) {
    throw invalid(': incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  }
  if (typeof parsed.start !== 'string' || parsed.start === '') {
    throw invalid(': encoded start key empty (version meta.k8s.io/v1)');
  }
  // The path.Clean check that keeps a forged start key inside the resource's prefix.
  const key = parsed.start.startsWith('/') ? parsed.start : `/${parsed.start}`;
  if (posix.normalize(key) !== key) throw invalid(`: ${parsed.start}`);
  return { v: parsed.v, rv: parsed.rv, start: key.slice(1) };
}

/**
 * One page of a list, as the etcd3 store's GetList serves `limit` and `continue`
 * (staging/src/k8s.io/apiserver/pkg/storage/etcd3/store.go):
 * - the first page is read at the current revision; its continue token carries that revision
 *   (`withRev`, EncodeContinue), and every later page is read at it (`continueRV` → `clientv3.WithRev`),
 *   so all pages of one list report the first page's resourceVersion and show one snapshot;
 * - items are taken in key order from the token's start key until `limit` are in the bucket; the
 *   next key, matching or not, means more (`hasMore`), and the token names the key after the last
 *   one returned;
 * - `remainingItemCount` is given only without selectors (`opts.Predicate.Empty()`);
 * - a continue token with a resourceVersion is a 400 ("specifying resource version is not allowed
 *   when using continue");
 * - a token whose revision etcd has compacted is 410 Expired (etcd3/errors.go
 *   handleCompactedErrorForPaging), with a token at revision -1 in the Status's metadata for a
 *   client willing to go on inconsistently; such a token reads the latest revision.
 */
export function pageOf(
  store: ObjectStore,
  scope: { readonly type: ResourceType; readonly namespace: string | undefined },
  query: URLSearchParams,
  selected: (o: KubeObject) => boolean,
): Page {
  const limit = limitOf(query.get('limit'));
  const token = query.get('continue');
  let revision = store.resourceVersion;
  let start: string | undefined;
  if (token) {
    const requested = query.get('resourceVersion');
    if (requested && requested !== '0') {
      throw badRequest('specifying resource version is not allowed when using continue');
    }
    const decoded = decode(token);
    if (decoded.rv > 0 && store.isCompacted(decoded.rv)) throw expiredContinue(encode(-1, decoded.start));
    if (decoded.rv > 0) revision = decoded.rv;
    start = decoded.start;
  }
  const all =
    revision === store.resourceVersion
      ? store.list(scope.type, scope.namespace)
      : store.listAt(scope.type, scope.namespace, revision);
  const from = start === undefined ? all : all.filter((o) => storageKey(o) >= start);
  const resourceVersion = String(revision);
  if (limit === 0) return { items: from.filter(selected), metadata: { resourceVersion } };
  const items: KubeObject[] = [];
  let examined = 0;
  for (const object of from) {
    if (items.length >= limit) break;
    examined++;
    if (selected(object)) items.push(object);
  }
  if (examined === from.length) return { items, metadata: { resourceVersion } };
  const last = from[examined - 1]!;
  return {
    items,
    metadata: {
      resourceVersion,
      continue: encode(revision, `${storageKey(last)}\u0000`),
      ...(!hasSelector(query) && { remainingItemCount: from.length - examined }),
    },
  };
}

const hasSelector = (query: URLSearchParams): boolean =>
  Boolean(query.get('labelSelector') || query.get('fieldSelector'));

function limitOf(value: string | null): number {
  if (value === null || value === '') return 0;
  const limit = Number(value);
  if (!Number.isSafeInteger(limit)) {
    throw badRequest(`limit: Invalid value: ${JSON.stringify(value)}: must be an integer`);
  }
  return Math.max(limit, 0);
}
