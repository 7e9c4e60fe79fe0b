import { type CelBindings, celBindings } from '../cel/input.js';
import { evaluateSelectors, unknownLabelsNote } from '../selector/rule.js';
import type { RuleMode } from '../spec/schema.js';
import type { Action, Decision, PolicyContext } from '../types.js';
import { type CompiledRule, evaluateConditions, failClosedNote, failsClosedToMatch } from './rule.js';

/** One rule's part in a decision, in words. */
export interface RuleExplanation {
  readonly rule: string;
  readonly mode: RuleMode;
  readonly effect: 'allow' | 'deny' | 'require';
  readonly matched: boolean;
  readonly why: string;
}

export interface PolicyExplanation {
  readonly decision: Decision;
  /** Every rule in file order; empty when no rule applies (unclassified requests, discovery). */
  readonly rules: readonly RuleExplanation[];
  /** Set when something other than the rules decided. */
  readonly note?: string | undefined;
}

/** Says, for each rule, whether it matched and why (what `decide` did, told rule by rule). */
export function explainDecision(
  rules: readonly CompiledRule[],
  ctx: PolicyContext,
  decision: Decision,
): PolicyExplanation {
  const action = ctx.action;
  if (action.kind === 'unclassified') {
    return {
      decision,
      rules: [],
      note: `the request is unclassified (${action.reason}); rules do not apply`,
    };
  }
  if (action.kind === 'nonResource' && action.discovery) {
    return { decision, rules: [], note: 'discovery is always allowed, before any rule' };
  }
  let bindings: CelBindings | undefined;
  const explained = rules.map((rule): RuleExplanation => {
    const { matched, why } = explainRule(rule, ctx, action, () => {
      bindings ??= celBindings(ctx, action);
      return bindings;
    });
    return { rule: rule.name, mode: rule.mode, effect: rule.effect, matched, why };
  });
  return { decision, rules: explained };
}

function explainRule(
  rule: CompiledRule,
  ctx: PolicyContext,
  action: Exclude<Action, { kind: 'unclassified' }>,
  bindings: () => CelBindings,
): { matched: boolean; why: string } {
  if (rule.effect === 'require' && action.kind === 'resource' && action.dryRun && !rule.matchesDryRuns) {
    return { matched: false, why: 'a dry run; require rules hold dry runs only with match.dryRun: true' };
  }
  const field = rule.match.refusedBy(ctx, action);
  if (field !== undefined) return { matched: false, why: `match.${field} does not match` };
  const selected = rule.selectors.length === 0 ? undefined : evaluateSelectors(rule.selectors, ctx, action);
  if (selected?.kind === 'nomatch') return { matched: false, why: `match.${selected.field} does not match` };
  if (selected?.kind === 'unknown' && !failsClosedToMatch(rule)) {
    return { matched: false, why: `${selected.unknown}; an allow rule then does not apply` };
  }
  const unknown = selected?.kind === 'unknown' ? unknownLabelsNote(selected) : '';
  const fields = unknown === '' ? 'every match field matches' : unknown;
  if (rule.conditions.length === 0) return { matched: true, why: fields };
  const outcome = evaluateConditions(rule, bindings());
  if (outcome.kind === 'true') return { matched: true, why: `${fields} and every condition is true` };
  const expression = JSON.stringify(rule.conditions[outcome.index]!.expression);
  if (outcome.kind === 'false') return { matched: false, why: `condition ${expression} is false` };
  if (failsClosedToMatch(rule)) {
    const note = failClosedNote(rule, outcome);
    return { matched: true, why: unknown === '' ? note : `${unknown}; ${note}` };
  }
  return {
    matched: false,
    why: `condition ${expression} could not be evaluated (${outcome.error}); an allow rule then does not apply`,
  };
}
