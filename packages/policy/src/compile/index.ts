import { printable } from '../render/printable.js';
import type { PolicySpec, RequireSpec } from '../spec/schema.js';
import { type ValidateOptions, validatePolicySpec } from '../spec/validate.js';
import type { Decision, PolicyContext } from '../types.js';
import { compileMatch, type RulePredicate } from './match.js';

export type CompileOptions = ValidateOptions;

export interface Policy {
  /** The validated spec, defaults filled in. */
  readonly spec: PolicySpec;
  /** Pure and synchronous; never throws for any action `parseAction` returns. */
  decide(ctx: PolicyContext): Decision;
}

/** Rule name reported when the policy's `default` or `unclassified` setting decided. */
export const DEFAULT_RULE = '(default)';
export const UNCLASSIFIED_RULE = '(unclassified)';

type CompiledRule =
  | { readonly effect: 'allow'; readonly name: string; readonly test: RulePredicate }
  | { readonly effect: 'deny'; readonly name: string; readonly test: RulePredicate; readonly reason: string }
  | {
      readonly effect: 'require';
      readonly name: string;
      readonly test: RulePredicate;
      readonly require: RequireSpec;
      /** Require rules apply to dry runs only when their match says `dryRun: true`. */
      readonly matchesDryRuns: boolean;
    };

/**
 * Validates the policy section (throwing coded errors that name the rule and field) and
 * compiles it into a decision function.
 *
 * Combination is **most restrictive wins**: every rule is evaluated; any matching `deny`
 * denies; otherwise the matching `require` asking for the most approvals holds the request
 * (the earliest on a tie); otherwise a matching `allow` allows; otherwise `default`.
 */
export function compilePolicy(input: unknown, options: CompileOptions = {}): Policy {
  const spec = validatePolicySpec(input, options);
  const rules: CompiledRule[] = spec.rules.map((rule) => {
    const test = compileMatch(rule.match);
    if (rule.deny) return { effect: 'deny', name: rule.name, test, reason: rule.deny.reason };
    if (rule.require) {
      return {
        effect: 'require',
        name: rule.name,
        test,
        require: rule.require,
        matchesDryRuns: rule.match.dryRun === true,
      };
    }
    return { effect: 'allow', name: rule.name, test };
  });

  const decide = (ctx: PolicyContext): Decision => {
    const action = ctx.action;
    if (action.kind === 'unclassified' && action.badRequest) {
      // No rule, no approval: the cluster would refuse it, so nobody should be asked to approve it.
      return {
        effect: 'deny',
        rule: null,
        reason: `the Kubernetes API server would refuse ${printable(action.method)} ${printable(action.path)}: ${action.reason}`,
      };
    }
    if (action.kind === 'unclassified') {
      const why = `gatehouse could not classify ${printable(action.method)} ${printable(action.path)} (${action.reason})`;
      return spec.unclassified === 'deny'
        ? { effect: 'deny', rule: null, reason: `${why}; such requests are refused` }
        : requireDecision(UNCLASSIFIED_RULE, spec.unclassified.require, `${why}; it needs approval`);
    }
    // Discovery is what kubectl does before anything else; holding it would hold everything.
    if (action.kind === 'nonResource' && action.discovery) return { effect: 'allow', rule: null };

    const dryRun = action.kind === 'resource' && action.dryRun;
    let held: Extract<CompiledRule, { effect: 'require' }> | undefined;
    let allowed: string | undefined;
    for (const rule of rules) {
      if (rule.effect === 'require' && dryRun && !rule.matchesDryRuns) continue;
      if (!rule.test(ctx, action)) continue;
      if (rule.effect === 'deny') return { effect: 'deny', rule: rule.name, reason: rule.reason };
      if (rule.effect === 'require') {
        if (held === undefined || rule.require.approvals > held.require.approvals) held = rule;
      } else {
        allowed ??= rule.name;
      }
    }
    if (held !== undefined) return requireDecision(held.name, held.require);
    if (allowed !== undefined) return { effect: 'allow', rule: allowed };
    if (spec.default === 'allow') return { effect: 'allow', rule: null };
    if (spec.default === 'deny') {
      return {
        effect: 'deny',
        rule: null,
        reason: 'no policy rule allows this request and the default is deny',
      };
    }
    // A dry run changes nothing; it is held only when a rule asks for dry runs explicitly.
    if (dryRun) return { effect: 'allow', rule: null };
    return requireDecision(DEFAULT_RULE, spec.default.require);
  };

  return { spec, decide };
}

function requireDecision(rule: string, req: RequireSpec, reason?: string): Decision {
  const plural = req.approvals === 1 ? 'approval' : 'approvals';
  return {
    effect: 'require',
    rule,
    group: req.group,
    approvals: req.approvals,
    reason: req.reason ?? reason ?? `rule ${rule} needs ${req.approvals} ${plural} from ${req.group}`,
  };
}
