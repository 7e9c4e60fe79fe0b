import { createHash } from 'node:crypto';
import { InvalidEventError } from '../errors.js';
import type {
  ActionSummary,
  AuditEvent,
  AuditEventInput,
  RequestInput,
  RequestReceivedInput,
  StoredBody,
  StoredRequest,
} from '../events.js';
import { AUDIT_EVENT_TYPES } from '../events.js';

/** `hash` stores request bodies as sha256 only; `full` keeps their content too (never for Secrets or tokens). */
export type BodyMode = 'hash' | 'full';

export const REDACTED = '[REDACTED]';

/** Keys whose values are credentials wherever they appear in an event. */
const SECRET_KEY = /authorization|cookie|password|passwd|secret|token|api[-_]?key/i;
/** Values that are credentials whatever their key. */
const SECRET_VALUE = /^\s*(bearer|basic)\s+\S/i;
/** Resources whose bodies carry credentials. */
const SECRET_RESOURCES = new Set(['secrets', 'tokenreviews', 'tokenrequests', 'serviceaccounts/token']);
const SECRET_PATH = /\/(secrets|tokenreviews|tokenrequests|token)(\/|$)/i;
const SECRET_KIND =
  /"kind"\s*:\s*"(Secret|TokenRequest|TokenReview)"|^\s*kind:\s*(Secret|TokenRequest|TokenReview)\s*$/m;

const KNOWN_TYPES = new Set<string>(AUDIT_EVENT_TYPES);

/**
 * The headers a request recorded at a lowered level keeps: what the Kubernetes audit Metadata level
 * records besides the request line (Event.UserAgent, Event.SourceIPs from X-Forwarded-For and
 * X-Real-Ip; kubernetes staging/src/k8s.io/apiserver/pkg/apis/audit/types.go), and kubectl's own
 * names for the command (the event's `kubectl`).
 */
const METADATA_HEADERS = new Set([
  'user-agent',
  'x-forwarded-for',
  'x-real-ip',
  'kubectl-command',
  'kubectl-session',
]);

/**
 * Turns what a caller passed to `record()` into the event the log stores: credentials
 * replaced by `[REDACTED]` at any depth, request bodies reduced to a hash (and content
 * only when allowed), and plain JSON (no `undefined`, no class instances) so the hash a
 * verifier recomputes from the stored text is the one computed here. Always a fresh copy, which the caller
 * may add to.
 */
export function prepareEvent(input: AuditEventInput, bodies: BodyMode): AuditEvent {
  if (typeof input !== 'object' || input === null || !KNOWN_TYPES.has(input.type)) {
    throw new InvalidEventError(
      `unknown audit event type ${JSON.stringify((input as { type?: unknown } | null)?.type)}; see AUDIT_EVENT_TYPES`,
    );
  }
  const event: AuditEvent = input.type === 'request.received' ? storeRequestReceived(input, bodies) : input;
  return scrub(event, '') as AuditEvent;
}

function storeRequestReceived(input: RequestReceivedInput, bodies: BodyMode): AuditEvent {
  const stored = storeRequest(input.request, input.action, bodies, input.decision.auditLevel !== undefined);
  const kubectl = { command: stored.headers['kubectl-command'], session: stored.headers['kubectl-session'] };
  // One copy: the stored request takes the place of the one passed in.
  return { ...input, request: stored, kubectl };
}

/** `metadataOnly` (a lowered audit level): no body, and of the headers only {@link METADATA_HEADERS}. */
function storeRequest(
  request: RequestInput,
  action: ActionSummary,
  bodies: BodyMode,
  metadataOnly: boolean,
): StoredRequest {
  const headers: Record<string, string> = {};
  const given = request.headers ?? {};
  for (const name of Object.keys(given)) {
    const value = given[name];
    if (value === undefined) continue;
    const key = name.toLowerCase();
    if (metadataOnly && !METADATA_HEADERS.has(key)) continue;
    headers[key] = typeof value === 'string' ? value : value.join(', ');
  }
  const stored = {
    method: request.method,
    path: request.path,
    query: request.query,
    ...(request.remoteAddress !== undefined && { remoteAddress: request.remoteAddress }),
    headers,
  };
  if (request.body === undefined || metadataOnly) return stored;
  return { ...stored, body: storeBody(request.body, bodies, isSecretRequest(request, action)) };
}

function storeBody(body: Uint8Array | string, bodies: BodyMode, secret: boolean): StoredBody {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body);
  const summary = { sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length };
  if (bodies === 'hash') return summary;
  if (secret || SECRET_KIND.test(bytes.toString('utf8'))) return { ...summary, withheld: 'secret' };
  const text = decodeUtf8(bytes);
  return text === undefined ? { ...summary, base64: bytes.toString('base64') } : { ...summary, text };
}

function isSecretRequest(request: RequestInput, action: ActionSummary): boolean {
  const resource = action.subresource ? `${action.resource}/${action.subresource}` : action.resource;
  return (
    SECRET_RESOURCES.has(action.resource ?? '') ||
    SECRET_RESOURCES.has(resource ?? '') ||
    SECRET_PATH.test(request.path)
  );
}

function decodeUtf8(bytes: Buffer): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * Whether a member name marks a credential: the same few names recur in every event (field names,
 * kubectl's headers), so each answer is remembered, up to a bound, since header names are the client's.
 */
const secretKeys = new Map<string, boolean>();
const SECRET_KEYS_REMEMBERED = 4096;
function isSecretKey(key: string): boolean {
  let secret = secretKeys.get(key);
  if (secret === undefined) {
    secret = SECRET_KEY.test(key);
    if (secretKeys.size < SECRET_KEYS_REMEMBERED) secretKeys.set(key, secret);
  }
  return secret;
}

/**
 * Copies `value` as `JSON.parse(JSON.stringify(value))` would, replacing credentials at any depth on the
 * way: one walk instead of three, since every request is recorded. A non-null value under a credential key
 * is replaced whole, as it would be after the round trip.
 */
function scrub(value: unknown, key: string): unknown {
  // Strings and plain objects are nearly every member: they skip jsonValue's checks.
  if (typeof value === 'string') {
    if (isSecretKey(key)) return REDACTED;
    return SECRET_VALUE.test(value) ? REDACTED : value;
  }
  const json = jsonValue(value, key);
  if (json === undefined || json === null) return json;
  if (isSecretKey(key)) return REDACTED;
  if (typeof json === 'string') return SECRET_VALUE.test(json) ? REDACTED : json;
  if (typeof json !== 'object') return json;
  if (Array.isArray(json)) {
    // JSON writes null for what an array item cannot be (undefined, a function, a hole).
    const items: unknown[] = new Array(json.length);
    for (let index = 0; index < json.length; index++)
      items[index] = scrub(json[index], String(index)) ?? null;
    return items;
  }
  const copy: Record<string, unknown> = {};
  for (const name of Object.keys(json)) {
    const item = scrub((json as Record<string, unknown>)[name], name);
    if (item === undefined) continue;
    // A member named __proto__ (a header may be) stays a member, as JSON.parse makes it.
    if (name === '__proto__') {
      Object.defineProperty(copy, name, {
        value: item,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else {
      copy[name] = item;
    }
  }
  return copy;
}

/** One value as JSON.stringify sees it: toJSON applied, boxed primitives unboxed, non-finite numbers null. */
function jsonValue(value: unknown, key: string): unknown {
  let json = value;
  if (
    typeof json === 'object' &&
    json !== null &&
    typeof (json as { toJSON?: unknown }).toJSON === 'function'
  ) {
    json = (json as { toJSON(key: string): unknown }).toJSON(key);
  }
  if (json instanceof Number || json instanceof String || json instanceof Boolean) json = json.valueOf();
  switch (typeof json) {
    case 'number':
      // -0 reads back as 0.
      return Number.isFinite(json) ? json + 0 : null;
    case 'bigint':
      // JSON.stringify refuses a bigint; so does the log.
      return JSON.parse(JSON.stringify(json));
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
    default:
      return json;
  }
}
