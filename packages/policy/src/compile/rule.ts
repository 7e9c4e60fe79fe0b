import { type Condition, compileCondition } from '../cel/condition.js';
import type { CelBindings } from '../cel/input.js';
import { compileSelector } from '../selector/index.js';
import type { RuleSelector } from '../selector/rule.js';
import type { AuditLevel, PolicyRuleSpec, RequireSpec, RuleMode } from '../spec/schema.js';
import { type CompiledMatch, compileMatch } from './match.js';

/** One rule, compiled: its match, its conditions, what it does and how (mode). */
export type CompiledRule = {
  readonly name: string;
  readonly mode: RuleMode;
  readonly match: CompiledMatch;
  /** `match.namespaceSelector` and `match.objectSelector`; empty when the rule has neither. */
  readonly selectors: readonly RuleSelector[];
  /** Empty when the rule has none. */
  readonly conditions: readonly Condition[];
} & (
  | {
      readonly effect: 'allow';
      /** How much of what it allows the audit keeps; `Request` (the full record) unless the rule lowers it. */
      readonly auditLevel: AuditLevel;
    }
  | { readonly effect: 'deny'; readonly reason: string }
  | {
      readonly effect: 'require';
      readonly require: RequireSpec;
      /** Require rules apply to dry runs only when their match says `dryRun: true`. */
      readonly matchesDryRuns: boolean;
    }
);

/** What a rule's conditions said: all true, one false, or one that could not be evaluated. */
export type ConditionsOutcome =
  | { readonly kind: 'true' }
  | { readonly kind: 'false'; readonly index: number }
  | { readonly kind: 'error'; readonly index: number; readonly error: string };

const ALL_TRUE: ConditionsOutcome = { kind: 'true' };

export function compileRule(rule: PolicyRuleSpec): CompiledRule {
  const common = {
    name: rule.name,
    mode: rule.mode,
    match: compileMatch(rule.match),
    selectors: (['namespaceSelector', 'objectSelector'] as const).flatMap((field) => {
      const spec = rule.match[field];
      if (spec === undefined) return [];
      const compiled = compileSelector(spec);
      // validatePolicySpec refused every selector that does not compile.
      if (!compiled.ok) throw new Error(`unvalidated ${field}: ${compiled.message}`);
      return [{ field, selector: compiled.selector }];
    }),
    conditions: (rule.conditions ?? []).map((expression) => {
      const compiled = compileCondition(expression);
      // validatePolicySpec refused every expression that does not compile.
      if (!compiled.ok) throw new Error(`unvalidated condition ${expression}: ${compiled.message}`);
      return compiled.condition;
    }),
  };
  if (rule.deny) return { ...common, effect: 'deny', reason: rule.deny.reason };
  if (rule.require) {
    return {
      ...common,
      effect: 'require',
      require: rule.require,
      matchesDryRuns: rule.match.dryRun === true,
    };
  }
  return { ...common, effect: 'allow', auditLevel: rule.auditLevel ?? 'Request' };
}

/** Evaluates conditions in order and stops at the first that is not true. */
export function evaluateConditions(rule: CompiledRule, bindings: CelBindings): ConditionsOutcome {
  for (let index = 0; index < rule.conditions.length; index++) {
    const outcome = rule.conditions[index]!.evaluate(bindings);
    if ('error' in outcome) return { kind: 'error', index, error: outcome.error };
    if (!outcome.result) return { kind: 'false', index };
  }
  return ALL_TRUE;
}

/**
 * Fail closed: a condition that cannot be evaluated, or a selector over labels the gateway could not
 * read, makes a deny or require rule match (it may hold what it was written to hold) and an allow
 * rule not match (it must not open what it cannot judge).
 */
export function failsClosedToMatch(rule: CompiledRule): boolean {
  return rule.effect !== 'allow';
}

/** Appended to a reason when a rule matched only because a condition could not be evaluated. */
export function failClosedNote(
  rule: CompiledRule,
  outcome: Extract<ConditionsOutcome, { kind: 'error' }>,
): string {
  return `condition ${JSON.stringify(rule.conditions[outcome.index]!.expression)} could not be evaluated (${outcome.error}), so the rule is taken to match`;
}

export function requireReason(rule: string, req: RequireSpec, fallback?: string): string {
  const plural = req.approvals === 1 ? 'approval' : 'approvals';
  return req.reason ?? fallback ?? `rule ${rule} needs ${req.approvals} ${plural} from ${req.group}`;
}
