import { badRequest } from './status.js';

type Requirement = (labels: Record<string, string>) => boolean;

/** Splits on commas outside `in (a,b)` parentheses. */
function splitTerms(selector: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      terms.push(current);
      current = '';
    } else current += ch;
  }
  terms.push(current);
  return terms.map((t) => t.trim()).filter((t) => t !== '');
}

function parseTerm(term: string): Requirement {
  const set = /^([^\s!=]+)\s+(in|notin)\s+\((.*)\)$/.exec(term);
  if (set) {
    const [, key = '', op, list = ''] = set;
    const values = new Set(list.split(',').map((v) => v.trim()));
    return op === 'in'
      ? (labels) => labels[key] !== undefined && values.has(labels[key])
      : (labels) => labels[key] === undefined || !values.has(labels[key]);
  }
  const cmp = /^([^\s!=]+)\s*(==|=|!=)\s*(\S*)$/.exec(term);
  if (cmp) {
    const [, key = '', op, value] = cmp;
    return op === '!=' ? (labels) => labels[key] !== value : (labels) => labels[key] === value;
  }
  const exists = /^(!?)([^\s!=()]+)$/.exec(term);
  if (exists) {
    const [, not, key = ''] = exists;
    return not ? (labels) => labels[key] === undefined : (labels) => labels[key] !== undefined;
  }
  throw badRequest(`unable to parse requirement: ${term}`);
}

/** A label selector in the API's string form (`app=web,tier!=db,env in (a,b),!legacy`). */
export function parseLabelSelector(selector: string | null): Requirement {
  const requirements = splitTerms(selector ?? '').map(parseTerm);
  return (labels) => requirements.every((r) => r(labels));
}

function fieldValue(object: unknown, path: string): string | undefined {
  let value: unknown = object;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value === undefined || value === null ? undefined : String(value);
}

/** A field selector (`metadata.name=web,status.phase!=Running`) over any dotted path of the object. */
export function parseFieldSelector(selector: string | null): (object: unknown) => boolean {
  const requirements = splitTerms(selector ?? '').map((term) => {
    const match = /^([^\s!=]+)\s*(==|=|!=)\s*(\S*)$/.exec(term);
    if (!match) throw badRequest(`invalid field selector: ${term}`);
    const [, path = '', op, value = ''] = match;
    return (object: unknown) => ((fieldValue(object, path) ?? '') === value) !== (op === '!=');
  });
  return (object) => requirements.every((r) => r(object));
}
