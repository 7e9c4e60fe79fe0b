/**
 * Canonical JSON: object keys sorted, no whitespace, `undefined` members dropped. Two
 * processes that build the same event in a different key order get the same bytes, so
 * the same hash, and a verifier re-parsing the stored JSON gets them too.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item)).join(',')}]`;
  const record = value as Record<string, unknown>;
  const members = Object.keys(record)
    .filter((key) => record[key] !== undefined)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`);
  return `{${members.join(',')}}`;
}

/**
 * Keys a JS object keeps first, in numeric order, whatever the insertion order — so a copy
 * with sorted keys would not stringify sorted — and the one key a plain assignment does not create.
 */
const UNORDERABLE_KEY = /^(?:0|[1-9]\d*|__proto__)$/;

/** Marks a value whose sorted copy would not stringify as canonicalJson does. */
const UNSUITED = Symbol('unsuited');

/**
 * canonicalJson's bytes at the speed of one native JSON.stringify: each event is hashed when
 * it is linked (every request is recorded), and the recursive join above was ~5% of the
 * gateway's CPU under load. Builds a copy with each object's keys inserted sorted and
 * stringifies it; anything whose copy could not keep that order or that JSON.stringify would
 * read differently (an index-like key, a non-plain object, a function) takes canonicalJson.
 */
export function canonicalJsonFast(value: unknown): string {
  const copy = sortedCopy(value);
  return copy === UNSUITED ? canonicalJson(value) : (JSON.stringify(copy) ?? 'null');
}

function sortedCopy(value: unknown): unknown {
  if (typeof value === 'function' || typeof value === 'symbol') return UNSUITED;
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    const items: unknown[] = new Array(value.length);
    for (let index = 0; index < value.length; index++) {
      // A hole: canonicalJson's map would leave it empty.
      if (!(index in value)) return UNSUITED;
      const item = sortedCopy(value[index]);
      if (item === UNSUITED) return UNSUITED;
      items[index] = item;
    }
    return items;
  }
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return UNSUITED;
  const record = value as Record<string, unknown>;
  const copy: Record<string, unknown> = {};
  for (const key of sortedKeys(record)) {
    if (record[key] === undefined) continue;
    if (UNORDERABLE_KEY.test(key)) return UNSUITED;
    const item = sortedCopy(record[key]);
    if (item === UNSUITED) return UNSUITED;
    copy[key] = item;
  }
  return copy;
}

/** Above this many keys, Array#sort: insertion sort's n² compares would let a request with many headers cost much. */
const INSERTION_SORT_MAX = 16;

/**
 * `Object.keys(record).sort()`, with small objects sorted in place by insertion: Array#sort allocates
 * its work arrays on every call, and each event's dozen objects are sorted for every request (a
 * sampling heap profile put Array#sort at ~8 KB of the gateway's allocation per request). `>` orders
 * strings by UTF-16 code units, as sort's default comparison does, and keys are unique.
 */
function sortedKeys(record: object): string[] {
  const keys = Object.keys(record);
  if (keys.length > INSERTION_SORT_MAX) return keys.sort();
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i] as string;
    let j = i - 1;
    while (j >= 0 && (keys[j] as string) > key) {
      keys[j + 1] = keys[j] as string;
      j--;
    }
    keys[j + 1] = key;
  }
  return keys;
}
