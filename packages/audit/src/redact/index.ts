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
 * Turns what a caller passed to `record()` into the event the log stores: credentials
 * replaced by `[REDACTED]` at any depth, request bodies reduced to a hash (and content
 * only when allowed), and plain JSON (no `undefined`, no class instances) so the hash a
 * verifier recomputes from the stored text is the one computed here.
 */
export function prepareEvent(input: AuditEventInput, bodies: BodyMode): AuditEvent {
  if (typeof input !== 'object' || input === null || !KNOWN_TYPES.has(input.type)) {
    throw new InvalidEventError(
      `unknown audit event type ${JSON.stringify((input as { type?: unknown } | null)?.type)}; see AUDIT_EVENT_TYPES`,
    );
  }
  const event: AuditEvent = input.type === 'request.received' ? storeRequestReceived(input, bodies) : input;
  return scrub(JSON.parse(JSON.stringify(event))) as AuditEvent;
}

function storeRequestReceived(input: RequestReceivedInput, bodies: BodyMode): AuditEvent {
  const { request, ...fields } = input;
  const stored = storeRequest(request, input.action, bodies);
  const kubectl = { command: stored.headers['kubectl-command'], session: stored.headers['kubectl-session'] };
  return { ...fields, request: stored, kubectl };
}

function storeRequest(request: RequestInput, action: ActionSummary, bodies: BodyMode): StoredRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers ?? {})) {
    if (value === undefined) continue;
    headers[name.toLowerCase()] = typeof value === 'string' ? value : value.join(', ');
  }
  const stored = { method: request.method, path: request.path, query: request.query, headers };
  if (request.body === undefined) return stored;
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

/** Replaces credentials at any depth; the input is plain JSON already. */
function scrub(value: unknown, key = ''): unknown {
  if (SECRET_KEY.test(key) && value !== null) return REDACTED;
  if (typeof value === 'string') return SECRET_VALUE.test(value) ? REDACTED : value;
  if (Array.isArray(value)) return value.map((item) => scrub(item));
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([name, item]) => [name, scrub(item, name)]));
}
