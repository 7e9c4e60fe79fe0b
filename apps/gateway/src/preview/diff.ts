import { createHash } from 'node:crypto';
import type { FieldChange } from '@gatehouse/approvals';

/**
 * Fields every write moves or the API server fills in, which say nothing about the request: leaving
 * them out keeps the diff to what the agent asked for.
 */
const NOISE = new Set([
  'metadata.managedFields',
  'metadata.resourceVersion',
  'metadata.generation',
  'metadata.uid',
  'metadata.creationTimestamp',
  'metadata.selfLink',
]);

/** kubectl's client-side apply copy of the whole object (a Secret's values included): changed/added, never shown. */
const LAST_APPLIED = 'metadata.annotations.kubectl.kubernetes.io/last-applied-configuration';

export interface DiffOptions {
  /** A core/v1 Secret: `data` and `stringData` are compared by hash and shown as keys only. */
  readonly secret: boolean;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const isObject = (value: unknown): value is Record<string, Json> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const sha256 = (value: Json) => createHash('sha256').update(JSON.stringify(value)).digest('hex');

/** `spec.replicas`, `metadata.labels.app.kubernetes.io/name`: keys joined with dots, as kubectl explain does. */
const child = (path: string, key: string) => (path === '' ? key : `${path}.${key}`);

/** Lists of objects that each carry a unique `name` (containers, env, ports, volumes) are matched by it. */
function namedItems(list: readonly Json[]): Map<string, Json> | undefined {
  const byName = new Map<string, Json>();
  for (const item of list) {
    if (!isObject(item) || typeof item.name !== 'string' || byName.has(item.name)) return undefined;
    byName.set(item.name, item);
  }
  return byName;
}

/** A path whose value is never shown: a Secret's data, the last-applied copy. */
function hidden(path: string, options: DiffOptions): boolean {
  if (path === LAST_APPLIED) return true;
  return options.secret && /^(data|stringData)(\.|$)/.test(path);
}

function record(
  out: FieldChange[],
  path: string,
  before: Json | undefined,
  after: Json | undefined,
  options: DiffOptions,
) {
  const op = before === undefined ? 'add' : after === undefined ? 'remove' : 'change';
  if (hidden(path, options)) return void out.push({ path, op });
  out.push({
    path,
    op,
    ...(before !== undefined && { before: JSON.stringify(before) }),
    ...(after !== undefined && { after: JSON.stringify(after) }),
  });
}

function walk(
  out: FieldChange[],
  path: string,
  before: Json | undefined,
  after: Json | undefined,
  options: DiffOptions,
): void {
  if (NOISE.has(path)) return;
  // Objects, also one added or removed whole, are walked to their leaves: one line per field, and a
  // Secret's values (or the last-applied copy inside annotations) are judged by their own path.
  const objects =
    (isObject(before) || before === undefined) &&
    (isObject(after) || after === undefined) &&
    (isObject(before) || isObject(after));
  if (objects) {
    const b = before ?? {};
    const a = after ?? {};
    const length = out.length;
    const keys = new Set([...Object.keys(b), ...Object.keys(a)]);
    for (const key of [...keys].sort()) walk(out, child(path, key), b[key], a[key], options);
    // `{}` set or removed: no leaf moved, the field itself did.
    if (out.length === length && (before === undefined) !== (after === undefined) && path !== '')
      record(out, path, before, after, options);
    return;
  }
  if (Array.isArray(before) && Array.isArray(after) && [...before, ...after].some(isObject)) {
    const beforeNamed = namedItems(before);
    const afterNamed = namedItems(after);
    if (beforeNamed && afterNamed) {
      const names = new Set([...beforeNamed.keys(), ...afterNamed.keys()]);
      for (const name of names)
        walk(out, `${path}[name=${name}]`, beforeNamed.get(name), afterNamed.get(name), options);
      return;
    }
    for (let i = 0; i < Math.max(before.length, after.length); i++)
      walk(out, `${path}[${i}]`, before[i], after[i], options);
    return;
  }
  if (before === undefined && after === undefined) return;
  if (before !== undefined && after !== undefined && sha256(before) === sha256(after)) return;
  record(out, path, before, after, options);
}

/**
 * Field-level changes from `before` (the live object; undefined when there is none, a create) to
 * `after` (the server dry run's answer: the object as the write would leave it). Deterministic:
 * keys sorted, named list items by name, others by index; lists of plain values compare whole.
 */
export function fieldDiff(before: unknown, after: unknown, options: DiffOptions): FieldChange[] {
  const out: FieldChange[] = [];
  walk(out, '', (before ?? {}) as Json, (after ?? {}) as Json, options);
  return out;
}
