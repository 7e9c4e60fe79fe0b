type Obj = Record<string, unknown>;

const isObject = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const named = (v: unknown): v is Obj & { name: string } => isObject(v) && typeof v.name === 'string';

/**
 * A strategic merge patch as kubectl's client-side apply, edit and patch send it, close enough for
 * tests: lists whose elements all carry `name` (containers, env, volumes, volumeMounts…) merge by
 * name; other lists are replaced. Directives: `$patch: delete` removes a named element,
 * `$patch: replace` replaces an object, `$deleteFromPrimitiveList/<field>` removes values, and
 * `$setElementOrder/<field>` and `$retainKeys` are dropped (order and pruning are not modelled).
 */
export function strategicMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  if (patch.$patch === 'replace') {
    const { $patch: _directive, ...replacement } = patch;
    return strategicMergePatch(undefined, replacement);
  }
  const result: Obj = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (key === '$patch' || key === '$retainKeys' || key.startsWith('$setElementOrder/')) continue;
    if (key.startsWith('$deleteFromPrimitiveList/')) {
      const field = key.slice('$deleteFromPrimitiveList/'.length);
      const doomed = new Set(Array.isArray(value) ? value : []);
      if (Array.isArray(result[field]))
        result[field] = (result[field] as unknown[]).filter((v) => !doomed.has(v));
      continue;
    }
    if (value === null) delete result[key];
    else if (Array.isArray(value)) result[key] = mergeList(result[key], value);
    else result[key] = strategicMergePatch(result[key], value);
  }
  return result;
}

function mergeList(current: unknown, patch: unknown[]): unknown[] {
  const byName =
    patch.every(named) && (current === undefined || (Array.isArray(current) && current.every(named)));
  if (!byName) return patch;
  const merged = [...((current as Obj[] | undefined) ?? [])];
  for (const element of patch as (Obj & { name: string })[]) {
    const index = merged.findIndex((e) => e.name === element.name);
    if (element.$patch === 'delete') {
      if (index >= 0) merged.splice(index, 1);
    } else if (index >= 0) merged[index] = strategicMergePatch(merged[index], element) as Obj;
    else merged.push(strategicMergePatch(undefined, element) as Obj);
  }
  return merged;
}
