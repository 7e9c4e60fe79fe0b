import type { Action, LabelLookup, PolicyContext } from '../types.js';
import type { LabelSelector } from './index.js';

export type SelectorField = 'namespaceSelector' | 'objectSelector';

/** One of a rule's selectors, compiled, with the field it came from. */
export interface RuleSelector {
  readonly field: SelectorField;
  readonly selector: LabelSelector;
}

/**
 * What a rule's selectors said: all hold, one does not (with the field), or none refused but the
 * labels one needs are unknown — then the note says which and why, for the fail-closed reason.
 */
export type SelectorsOutcome =
  | { readonly kind: 'match' }
  | { readonly kind: 'nomatch'; readonly field: SelectorField }
  | { readonly kind: 'unknown'; readonly unknown: string };

const MATCH: SelectorsOutcome = { kind: 'match' };

/**
 * Selectors are ANDed like every match field, so a known refusal decides even when other labels are
 * unknown. A namespaceSelector needs a namespaced request (for `namespaces/<name>` the namespace is
 * `<name>`, whose own labels are read, as the API server's webhook matcher does); an objectSelector
 * needs a resource request. Cluster-wide lists and non-resource URLs never match, as `namespaces`.
 */
export function evaluateSelectors(
  selectors: readonly RuleSelector[],
  ctx: PolicyContext,
  action: Exclude<Action, { kind: 'unclassified' }>,
): SelectorsOutcome {
  let unknown: string[] | undefined;
  for (const { field, selector } of selectors) {
    if (action.kind !== 'resource') return { kind: 'nomatch', field };
    if (field === 'namespaceSelector' && action.namespace === undefined) return { kind: 'nomatch', field };
    if (selector.empty) continue;
    const lookup = field === 'namespaceSelector' ? ctx.namespaceLabels : ctx.objectLabels;
    const whose = field === 'namespaceSelector' ? `namespace ${action.namespace}` : objectName(action);
    const labels = labelsOf(lookup);
    if (typeof labels === 'string') {
      unknown ??= [];
      unknown.push(`the labels of ${whose} are unknown (${labels}) for ${field} ${selector.text}`);
    } else if (!selector.matches(labels)) {
      return { kind: 'nomatch', field };
    }
  }
  return unknown === undefined ? MATCH : { kind: 'unknown', unknown: unknown.join('; ') };
}

/** The labels, or why they are unknown. */
function labelsOf(lookup: LabelLookup | undefined): Readonly<Record<string, string>> | string {
  if (lookup === undefined) return 'the gateway did not look them up';
  return 'labels' in lookup ? lookup.labels : lookup.unknown;
}

function objectName(action: Extract<Action, { kind: 'resource' }>): string {
  return action.name === undefined
    ? `the ${action.resource} object`
    : `object ${action.resource}/${action.name}`;
}

/** Appended to a deny or require rule's reason when it matched only because labels were unknown. */
export function unknownLabelsNote(outcome: Extract<SelectorsOutcome, { kind: 'unknown' }>): string {
  return `${outcome.unknown}, so the rule is taken to match`;
}
