import type { LabelSelectorSpec } from '../spec/schema.js';

/**
 * Kubernetes label selectors, read as the API server reads them (apimachinery
 * pkg/apis/meta/v1/helpers.go `LabelSelectorAsSelector`, pkg/labels/selector.go `NewRequirement`
 * and `Requirement.Matches`):
 * - an empty selector (`{}`, no matchLabels and no matchExpressions) matches everything;
 * - each `matchLabels` entry is an `=` requirement; all requirements must hold (they are ANDed);
 * - `In` needs the key with one of the values, `NotIn` holds when the key is absent or has none of
 *   them, `Exists` / `DoesNotExist` look at the key alone;
 * - `In`/`NotIn` need a non-empty `values`, `Exists`/`DoesNotExist` none; keys are qualified names
 *   (`prefix/name`), values label values (util/validation `IsQualifiedName`, `IsValidLabelValue`).
 */
export interface LabelSelector {
  /** True when every requirement holds for these labels. */
  matches(labels: Readonly<Record<string, string>>): boolean;
  /** True for `{}`: it matches whatever the labels are, even unknown ones. */
  readonly empty: boolean;
  /** As kubectl writes it: `env=prod,tier in (a,b),!legacy`. */
  readonly text: string;
}

export type SelectorCompileResult =
  | { readonly ok: true; readonly selector: LabelSelector }
  | { readonly ok: false; readonly field: string; readonly message: string };

/** `Equals` is a matchLabels entry (selection.Equals): it matches as `In` with one value. */
type Operator = 'Equals' | 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';

interface Requirement {
  readonly key: string;
  readonly operator: Operator;
  readonly values: ReadonlySet<string>;
}

// util/validation/validation.go: qualifiedNameFmt, DNS1123SubdomainFmt, labelValueFmt.
const NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Validates a selector as the API server would and compiles it; errors name the field inside it. */
export function compileSelector(spec: LabelSelectorSpec): SelectorCompileResult {
  const requirements: Requirement[] = [];
  for (const [key, value] of Object.entries(spec.matchLabels ?? {})) {
    const field = `matchLabels.${key}`;
    const bad = keyProblem(key) ?? valueProblem(value);
    if (bad !== undefined) return { ok: false, field, message: bad };
    requirements.push({ key, operator: 'Equals', values: new Set([value]) });
  }
  for (const [i, expression] of (spec.matchExpressions ?? []).entries()) {
    const field = `matchExpressions.${i}`;
    const { key, operator } = expression;
    const values = expression.values ?? [];
    const badKey = keyProblem(key);
    if (badKey !== undefined) return { ok: false, field: `${field}.key`, message: badKey };
    if ((operator === 'In' || operator === 'NotIn') && values.length === 0) {
      return { ok: false, field: `${field}.values`, message: `${operator} needs at least one value` };
    }
    if ((operator === 'Exists' || operator === 'DoesNotExist') && values.length !== 0) {
      return { ok: false, field: `${field}.values`, message: `${operator} takes no values; remove values` };
    }
    for (const [j, value] of values.entries()) {
      const bad = valueProblem(value);
      if (bad !== undefined) return { ok: false, field: `${field}.values.${j}`, message: bad };
    }
    requirements.push({ key, operator, values: new Set(values) });
  }
  return { ok: true, selector: selectorOf(requirements) };
}

function selectorOf(requirements: readonly Requirement[]): LabelSelector {
  return {
    empty: requirements.length === 0,
    text: requirements.length === 0 ? '(everything)' : requirements.map(describe).join(','),
    matches: (labels) => {
      for (const r of requirements) if (!holds(r, labels)) return false;
      return true;
    },
  };
}

function holds(r: Requirement, labels: Readonly<Record<string, string>>): boolean {
  const has = Object.hasOwn(labels, r.key);
  switch (r.operator) {
    case 'Equals':
    case 'In':
      return has && r.values.has(labels[r.key]!);
    case 'NotIn':
      return !has || !r.values.has(labels[r.key]!);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
  }
}

/** labels.Requirement.String(): `k=v`, `k in (a,b)`, `k notin (a)`, `k`, `!k`. */
function describe(r: Requirement): string {
  const values = [...r.values].sort();
  if (r.operator === 'Exists') return r.key;
  if (r.operator === 'DoesNotExist') return `!${r.key}`;
  if (r.operator === 'Equals') return `${r.key}=${values[0]}`;
  return `${r.key} ${r.operator.toLowerCase()} (${values.join(',')})`;
}

function keyProblem(key: string): string | undefined {
  const slash = key.indexOf('/');
  const prefix = slash < 0 ? undefined : key.slice(0, slash);
  const name = slash < 0 ? key : key.slice(slash + 1);
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) {
    return `label key ${JSON.stringify(key)}: the prefix must be a DNS subdomain such as example.com (lower case, at most 253 characters)`;
  }
  if (name.length > 63 || !NAME.test(name)) {
    return `label key ${JSON.stringify(key)}: the name must be at most 63 characters of letters, digits, '-', '_', '.', starting and ending with a letter or digit (e.g. env or example.com/tier)`;
  }
  return undefined;
}

function valueProblem(value: string): string | undefined {
  if (value.length <= 63 && LABEL_VALUE.test(value)) return undefined;
  return `label value ${JSON.stringify(value)}: at most 63 characters of letters, digits, '-', '_', '.', starting and ending with a letter or digit (or empty)`;
}
