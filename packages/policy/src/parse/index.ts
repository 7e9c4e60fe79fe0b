import type { Action, KubeRequest, PatchType, ResourceAction, UnclassifiedAction, Verb } from '../types.js';
import { readDryRun } from './dry-run.js';
import { parsePath, type ResourcePath } from './path.js';
import { writesPodTemplate } from './pod-template.js';
import { parseQuery } from './query.js';
import {
  isCustomResourceGroup,
  isScalableWorkload,
  keepsReplicas,
  patchTypeOf,
  replicaEffect,
} from './scale.js';

/** Methods the API server serves. Anything else (OPTIONS, TRACE, lower case...) is unclassified. */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']);
/** Headers some proxies honour to change the method: the upstream could then do something else than we decided on. */
const METHOD_OVERRIDES = ['x-http-method-override', 'x-http-method', 'x-method-override'];
/** Subresources that are verbs of their own whatever the method (GET+Upgrade for WebSocket, POST for SPDY). */
const CONNECT_VERBS = new Set<Verb>(['exec', 'attach', 'portforward']);
/** Verbs the API server runs as a dry run under `dryRun=All`; connect and proxy calls ignore the parameter. */
const DRY_RUNNABLE = new Set<Verb>(['create', 'update', 'patch', 'delete', 'deletecollection']);

/**
 * Turns one HTTP request into the action it performs on the cluster. Pure and total: it
 * never throws, and whatever it cannot read with certainty becomes an `unclassified`
 * action, which is never read-only.
 */
export function parseAction(req: KubeRequest): Action {
  try {
    return classify(req);
  } catch {
    // Defensive: a bug here must not let a request through as something harmless.
    return unclassified(req, 'the request could not be parsed');
  }
}

function classify(req: KubeRequest): Action {
  const method = String(req.method);
  if (!METHODS.has(method)) return unclassified(req, 'unsupported method');
  const override = METHOD_OVERRIDES.find((h) => req.headers[h] !== undefined);
  if (override !== undefined) return unclassified(req, `method override header ${override}`);

  const parsed = parsePath(String(req.path));
  if (parsed.kind === 'invalid') return unclassified(req, parsed.reason);
  const read = method === 'GET' || method === 'HEAD';
  if (parsed.kind === 'nonResource') {
    if (!read) return unclassified(req, `${method} on a non-resource URL`);
    if (isUpgrade(req)) return unclassified(req, 'upgrade on a non-resource URL');
    return {
      kind: 'nonResource',
      verb: 'get',
      method,
      path: req.path,
      discovery: parsed.discovery,
      readOnly: true,
    };
  }
  return classifyResource(req, method, parsed);
}

function classifyResource(req: KubeRequest, method: string, p: ResourcePath): Action {
  const parsedQuery = parseQuery(String(req.query));
  if (!parsedQuery.ok) return refused(req, parsedQuery.reason);
  const query = parsedQuery.params;
  const read = method === 'GET' || method === 'HEAD';
  const sub = p.subresource;
  let verb: Verb;
  let name = p.name;

  if (sub !== undefined && CONNECT_VERBS.has(sub as Verb)) verb = sub as Verb;
  else if (sub === 'proxy') verb = 'proxy';
  else if (p.watchPrefix) {
    if (!read) return unclassified(req, `${method} under the /watch/ prefix`);
    verb = 'watch';
  } else if (read) {
    if (name !== undefined) verb = 'get';
    else {
      verb = isWatch(query.getAll('watch')) ? 'watch' : 'list';
      // As the API server does: a list narrowed to one name by field selector is about that object.
      name = nameFromFieldSelector(query.get('fieldSelector'));
    }
  } else if (method === 'POST') verb = 'create';
  else if (method === 'PUT') verb = 'update';
  else if (method === 'PATCH') verb = 'patch';
  else verb = name === undefined ? 'deletecollection' : 'delete';

  const readOnly = read && (verb === 'get' || verb === 'list' || verb === 'watch');
  // Only watches stream over an upgraded connection; an upgrade anywhere else is not something kubectl sends.
  if (read && isUpgrade(req) && !CONNECT_VERBS.has(verb) && verb !== 'proxy' && verb !== 'watch') {
    return unclassified(req, 'upgrade on a resource URL that does not stream');
  }

  const patchType: PatchType | undefined = method === 'PATCH' ? patchTypeOf(req) : undefined;
  const scaleTarget =
    (method === 'PUT' || method === 'PATCH') &&
    name !== undefined &&
    (sub === 'scale' ||
      (sub === undefined &&
        (isScalableWorkload(p.apiGroup, p.resource) || isCustomResourceGroup(p.apiGroup))));
  const effect = scaleTarget
    ? replicaEffect(req, patchType ?? 'put', sub === 'scale' ? 'scale' : 'object')
    : undefined;
  const dryRun = DRY_RUNNABLE.has(verb) ? readDryRun(req, query, verb) : undefined;
  if (dryRun?.kind === 'refused') return refused(req, dryRun.reason);

  const action: ResourceAction = {
    kind: 'resource',
    verb,
    method,
    path: req.path,
    query: req.query,
    apiGroup: p.apiGroup,
    apiVersion: p.apiVersion,
    resource: p.resource,
    subresource: sub,
    namespace: p.namespace,
    name,
    dryRun: dryRun?.dryRun ?? false,
    readOnly,
    // Unreadable body on a scale target: assume the worst so scale-to-zero rules still apply. Any
    // value but an integer in [1, 2³¹−1] is one the API server may store as 0 (see keepsReplicas).
    scaleToZero:
      effect !== undefined &&
      (effect.kind === 'unknown' || (effect.kind === 'sets' && !keepsReplicas(effect.value))),
    replicas: effect?.kind === 'sets' && typeof effect.value === 'number' ? effect.value : undefined,
    patchType,
    podTemplate: writesPodTemplate(req, {
      verb,
      apiGroup: p.apiGroup,
      resource: p.resource,
      subresource: sub,
      patchType,
    }),
    command: CONNECT_VERBS.has(verb) && query.has('command') ? query.getAll('command') : undefined,
    container: CONNECT_VERBS.has(verb) || sub === 'log' ? (query.get('container') ?? undefined) : undefined,
    labelSelector: query.get('labelSelector') ?? undefined,
    fieldSelector: query.get('fieldSelector') ?? undefined,
  };
  return action;
}

/** `metadata.name=web` or `metadata.name==web` alone in a field selector, as the API server's RequiresExactMatch. */
function nameFromFieldSelector(selector: string | null): string | undefined {
  if (selector === null || selector.includes(',')) return undefined;
  const match = /^metadata\.name==?([A-Za-z0-9._:@~+-]+)$/.exec(selector);
  return match?.[1];
}

function isUpgrade(req: KubeRequest): boolean {
  if (req.headers.upgrade !== undefined) return true;
  const connection = req.headers.connection;
  const values = Array.isArray(connection) ? connection : [connection ?? ''];
  return values.some((v) => /(^|,)\s*upgrade\s*(,|$)/i.test(v));
}

function unclassified(req: KubeRequest, reason: string): UnclassifiedAction {
  return {
    kind: 'unclassified',
    verb: 'unknown',
    method: typeof req?.method === 'string' ? req.method : '',
    path: typeof req?.path === 'string' ? req.path : '',
    reason,
    readOnly: false,
  };
}

/** What the API server itself would refuse as malformed: the gateway answers 400 and sends nothing. */
function refused(req: KubeRequest, reason: string): UnclassifiedAction {
  return { ...unclassified(req, reason), badRequest: true };
}

/**
 * A list is a watch as the API server reads it (apiserver endpoints/request/requestinfo.go,
 * NewRequestInfo; the same rule as ListOptions' Convert_Slice_string_To_bool): only the first
 * `watch` value counts, and anything but `0` or `false` in any case — `?watch=` and `?watch=yes`
 * included — is a watch.
 */
function isWatch(values: readonly string[]): boolean {
  const first = values[0];
  if (first === undefined) return false;
  const lower = first.toLowerCase();
  return lower !== 'false' && lower !== '0';
}
