import { type CelBindings, celBindings } from '../cel/input.js';
import { printable } from '../render/printable.js';
import { evaluateSelectors, unknownLabelsNote } from '../selector/rule.js';
import { AUDIT_LEVELS, type AuditLevel, type PolicySpec, type RequireSpec } from '../spec/schema.js';
import { type ValidateOptions, validatePolicySpec } from '../spec/validate.js';
import type { Action, Decision, ObservedRule, PolicyContext } from '../types.js';
import { explainDecision, type PolicyExplanation } from './explain.js';
import {
  type CompiledRule,
  compileRule,
  evaluateConditions,
  failClosedNote,
  failsClosedToMatch,
  requireReason,
} from './rule.js';

export type CompileOptions = ValidateOptions;

export interface Policy {
  /** The validated spec, defaults filled in. */
  readonly spec: PolicySpec;
  /** Pure and synchronous; never throws for any action `parseAction` returns. */
  decide(ctx: PolicyContext): Decision;
  /** The decision, and for every rule whether it matched and why (`gatehouse policy check`). */
  explain(ctx: PolicyContext): PolicyExplanation;
}

/** Rule name reported when the policy's `default` or `unclassified` setting decided. */
export const DEFAULT_RULE = '(default)';
export const UNCLASSIFIED_RULE = '(unclassified)';

type Classified = Exclude<Action, { kind: 'unclassified' }>;

/** The first enforced allow rule that matched, and the level of the allow rule recording most. */
interface Allowed {
  readonly rule: string;
  readonly auditLevel: AuditLevel;
}

/**
 * Validates the policy section (throwing coded errors that name the rule and field) and
 * compiles it into a decision function.
 *
 * Combination is **most restrictive wins**: every rule is evaluated; any matching `deny`
 * denies; otherwise the matching `require` asking for the most approvals holds the request
 * (the earliest on a tie); otherwise a matching `allow` allows; otherwise `default`.
 * Rules in `audit` or `warn` mode never change the decision; those that match are listed in
 * `decision.observed` with what they would have done. An allow decision carries `auditLevel` when
 * every allow rule that matched lowered the record and no audit or warn rule matched.
 */
export function compilePolicy(input: unknown, options: CompileOptions = {}): Policy {
  const spec = validatePolicySpec(input, options);
  const rules = spec.rules.map(compileRule);
  const observing = rules.some((rule) => rule.mode !== 'enforce');

  /** `false`, or the matched rule's fail-closed note ('' when it matched plainly). */
  const matches = (
    rule: CompiledRule,
    ctx: PolicyContext,
    action: Classified,
    bindings: () => CelBindings,
  ) => {
    if (!rule.match.test(ctx, action)) return false;
    let note = '';
    if (rule.selectors.length !== 0) {
      const selected = evaluateSelectors(rule.selectors, ctx, action);
      if (selected.kind === 'nomatch') return false;
      if (selected.kind === 'unknown') {
        if (!failsClosedToMatch(rule)) return false;
        note = unknownLabelsNote(selected);
      }
    }
    if (rule.conditions.length === 0) return note;
    const outcome = evaluateConditions(rule, bindings());
    if (outcome.kind === 'true') return note;
    if (outcome.kind === 'false' || !failsClosedToMatch(rule)) return false;
    return withNote(note, failClosedNote(rule, outcome));
  };

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
    let bindings: CelBindings | undefined;
    const bind = () => {
      bindings ??= celBindings(ctx, action);
      return bindings;
    };
    let denied: Decision | undefined;
    let held: { rule: Extract<CompiledRule, { effect: 'require' }>; note: string } | undefined;
    let allowed: Allowed | undefined;
    let observed: ObservedRule[] | undefined;
    for (const rule of rules) {
      // After a deny only rules that observe can still add anything.
      if (denied !== undefined && rule.mode === 'enforce') continue;
      if (rule.effect === 'require' && dryRun && !rule.matchesDryRuns) continue;
      const note = matches(rule, ctx, action, bind);
      if (note === false) continue;
      if (rule.mode !== 'enforce') {
        observed ??= [];
        observed.push({
          rule: rule.name,
          mode: rule.mode,
          effect: rule.effect,
          reason: withNote(reasonOf(rule), note),
        });
        continue;
      }
      if (rule.effect === 'deny') {
        denied = { effect: 'deny', rule: rule.name, reason: withNote(rule.reason, note) };
        if (!observing) return denied;
      } else if (rule.effect === 'require') {
        if (held === undefined || rule.require.approvals > held.rule.require.approvals) held = { rule, note };
      } else if (allowed === undefined) {
        allowed = { rule: rule.name, auditLevel: rule.auditLevel };
      } else if (recordsMore(rule.auditLevel, allowed.auditLevel)) {
        // The allow rule recording most sets the level: a rule added later never lowers another's record.
        allowed = { rule: allowed.rule, auditLevel: rule.auditLevel };
      }
    }
    // What an audit or warn rule watches is recorded in full, whatever the allow rules say.
    if (observed !== undefined && allowed !== undefined)
      allowed = { rule: allowed.rule, auditLevel: 'Request' };
    const decision = denied ?? combine(held, allowed, dryRun);
    return observed === undefined ? decision : { ...decision, observed };
  };

  const combine = (
    held: { rule: Extract<CompiledRule, { effect: 'require' }>; note: string } | undefined,
    allowed: Allowed | undefined,
    dryRun: boolean,
  ): Decision => {
    if (held !== undefined) {
      const { rule, note } = held;
      return requireDecision(rule.name, rule.require, undefined, note);
    }
    if (allowed !== undefined) {
      const { rule, auditLevel } = allowed;
      return auditLevel === 'Request' ? { effect: 'allow', rule } : { effect: 'allow', rule, auditLevel };
    }
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

  return {
    spec,
    decide,
    explain: (ctx) => explainDecision(rules, ctx, decide(ctx)),
  };
}

function recordsMore(level: AuditLevel, than: AuditLevel): boolean {
  return AUDIT_LEVELS.indexOf(level) > AUDIT_LEVELS.indexOf(than);
}

function reasonOf(rule: CompiledRule): string {
  if (rule.effect === 'deny') return rule.reason;
  if (rule.effect === 'require') return requireReason(rule.name, rule.require);
  return `rule ${rule.name} allows this request`;
}

function withNote(reason: string, note: string): string {
  if (note === '') return reason;
  return reason === '' ? note : `${reason}; ${note}`;
}

function requireDecision(rule: string, req: RequireSpec, reason?: string, note = ''): Decision {
  return {
    effect: 'require',
    rule,
    group: req.group,
    approvals: req.approvals,
    reason: withNote(requireReason(rule, req, reason), note),
  };
}
