import { badRequest } from './status.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const isObject = (v: unknown): v is Record<string, Json> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/** RFC 7386 JSON merge patch: objects merge recursively, `null` deletes, everything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const result: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

interface Operation {
  op: string;
  path: string;
  value?: unknown;
  from?: string;
}

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw badRequest(`json patch: invalid pointer "${path}"`);
  return path
    .slice(1)
    .split('/')
    .map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'));
}

function parentOf(root: unknown, parts: string[], path: string): { parent: unknown; key: string } {
  let node = root;
  for (const part of parts.slice(0, -1)) {
    node = Array.isArray(node) ? node[Number(part)] : isObject(node) ? node[part] : undefined;
    if (node === undefined) throw badRequest(`json patch: path "${path}" does not exist`);
  }
  return { parent: node, key: parts[parts.length - 1] ?? '' };
}

function read(root: unknown, path: string): unknown {
  const { parent, key } = parentOf(root, pointer(path), path);
  const value = Array.isArray(parent) ? parent[Number(key)] : isObject(parent) ? parent[key] : undefined;
  if (value === undefined) throw badRequest(`json patch: path "${path}" does not exist`);
  return value;
}

function remove(root: unknown, path: string): void {
  const { parent, key } = parentOf(root, pointer(path), path);
  read(root, path);
  if (Array.isArray(parent)) parent.splice(Number(key), 1);
  else delete (parent as Record<string, unknown>)[key];
}

function add(root: unknown, path: string, value: unknown): unknown {
  const parts = pointer(path);
  if (parts.length === 0) return value;
  const { parent, key } = parentOf(root, parts, path);
  if (Array.isArray(parent)) parent.splice(key === '-' ? parent.length : Number(key), 0, value);
  else if (isObject(parent)) parent[key] = value as Json;
  else throw badRequest(`json patch: cannot add at "${path}"`);
  return root;
}

/** RFC 6902 JSON patch (add, remove, replace, move, copy, test) applied to a copy of `target`. */
export function jsonPatch(target: unknown, operations: unknown): unknown {
  if (!Array.isArray(operations)) throw badRequest('json patch: body must be an array of operations');
  let doc: unknown = structuredClone(target);
  for (const operation of operations as Operation[]) {
    const clone = (v: unknown) => structuredClone(v);
    switch (operation.op) {
      case 'add':
        doc = add(doc, operation.path, clone(operation.value));
        break;
      case 'remove':
        remove(doc, operation.path);
        break;
      case 'replace':
        read(doc, operation.path);
        if (operation.path === '') doc = clone(operation.value);
        else {
          remove(doc, operation.path);
          doc = add(doc, operation.path, clone(operation.value));
        }
        break;
      case 'move': {
        const value = read(doc, operation.from ?? '');
        remove(doc, operation.from ?? '');
        doc = add(doc, operation.path, value);
        break;
      }
      case 'copy':
        doc = add(doc, operation.path, clone(read(doc, operation.from ?? '')));
        break;
      case 'test':
        if (JSON.stringify(read(doc, operation.path)) !== JSON.stringify(operation.value)) {
          throw badRequest(`json patch: test failed at "${operation.path}"`);
        }
        break;
      default:
        throw badRequest(`json patch: unknown operation "${operation.op}"`);
    }
  }
  return doc;
}
