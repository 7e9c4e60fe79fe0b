import type { z } from 'zod';
import { compileCondition } from '../cel/condition.js';
import { PolicyRuleError, PolicySpecError } from '../errors.js';
import { compileSelector } from '../selector/index.js';
import { type PolicyRuleSpec, type PolicySpec, policySpecSchema, type RequireSpec } from './schema.js';

export interface ValidateOptions {
  /** Approver group names from the config; when given, every `require.group` must be one of them. */
  readonly knownGroups?: Iterable<string> | undefined;
}

/**
 * Validates the policy section. Throws a {@link PolicyRuleError} naming the rule (its name,
 * else `rules[i]`) and the field, or a {@link PolicySpecError} for the top-level fields.
 */
export function validatePolicySpec(input: unknown, options: ValidateOptions = {}): PolicySpec {
  const result = policySpecSchema.safeParse(input ?? {});
  if (!result.success) throw toError(input, result.error.issues[0]!);
  const spec = result.data;
  const groups = options.knownGroups === undefined ? undefined : new Set(options.knownGroups);
  const seen = new Map<string, number>();

  spec.rules.forEach((rule, index) => {
    const label = ruleLabel(input, index);
    const effects = (['allow', 'deny', 'require'] as const).filter((e) => rule[e] !== undefined);
    if (effects.length !== 1) {
      const found = effects.length === 0 ? 'none' : effects.join(' and ');
      throw ruleError(
        label,
        index,
        effects[1] ?? 'allow',
        `needs exactly one of allow, deny, require (found ${found})`,
      );
    }
    const previous = seen.get(rule.name);
    if (previous !== undefined) {
      throw ruleError(
        label,
        index,
        'name',
        `duplicates the name of rules[${previous}]; names must be unique`,
      );
    }
    seen.set(rule.name, index);
    const refusal = auditLevelRefusal(rule);
    if (refusal !== undefined) throw ruleError(label, index, 'auditLevel', refusal);
    if (rule.require !== undefined)
      checkGroup(groups, rule.require, (msg) => ruleError(label, index, 'require.group', msg));
    for (const field of ['namespaceSelector', 'objectSelector'] as const) {
      const selector = rule.match[field];
      if (selector === undefined) continue;
      const compiled = compileSelector(selector);
      if (!compiled.ok) throw ruleError(label, index, `match.${field}.${compiled.field}`, compiled.message);
    }
    rule.conditions?.forEach((expression, i) => {
      const compiled = compileCondition(expression);
      if (!compiled.ok) {
        throw ruleError(label, index, `conditions.${i}`, `${JSON.stringify(expression)} ${compiled.message}`);
      }
    });
  });
  if (typeof spec.default === 'object') {
    checkGroup(
      groups,
      spec.default.require,
      (msg) => new PolicySpecError('default.require.group', `policy default: ${msg}`),
    );
  }
  if (typeof spec.unclassified === 'object') {
    checkGroup(
      groups,
      spec.unclassified.require,
      (msg) => new PolicySpecError('unclassified.require.group', `policy unclassified: ${msg}`),
    );
  }
  return spec;
}

/**
 * Why the rule may not lower the audit record, when it tries to. Only what an enforced rule allows
 * may be recorded less: a held, denied or approved request, or one an audit or warn rule watches, is
 * what the audit is for.
 */
function auditLevelRefusal(rule: PolicyRuleSpec): string | undefined {
  if (rule.auditLevel === undefined || rule.auditLevel === 'Request') return undefined;
  if (rule.mode === 'enforce' && rule.allow !== undefined) return undefined;
  const what =
    rule.mode !== 'enforce'
      ? `this rule is in mode ${rule.mode}, whose matches`
      : rule.deny !== undefined
        ? 'this rule denies, and denied requests'
        : 'this rule holds requests for approval, and held and approved requests';
  return `${rule.auditLevel} would lower the audit record, which only an enforced allow rule may do; ${what} are always recorded in full. Remove auditLevel, or move it to an allow rule for the requests to record less of`;
}

function checkGroup(
  groups: Set<string> | undefined,
  req: RequireSpec,
  fail: (message: string) => Error,
): void {
  if (groups === undefined || groups.has(req.group)) return;
  const known = groups.size === 0 ? 'none are configured' : `known: ${[...groups].join(', ')}`;
  throw fail(`approver group ${JSON.stringify(req.group)} is not in approverGroups (${known})`);
}

function toError(input: unknown, issue: z.core.$ZodIssue): Error {
  const path = issue.path.map(String);
  // Unknown keys are reported on their parent object; name the key itself.
  if (issue.code === 'unrecognized_keys') path.push(issue.keys.join(','));
  const [top, index, ...field] = path;
  if (top === 'rules' && index !== undefined && /^\d+$/.test(index)) {
    const i = Number(index);
    const name = field.length === 0 ? '(rule)' : field.join('.');
    return ruleError(ruleLabel(input, i), i, name, issue.message);
  }
  const name = path.length === 0 ? '(policy)' : path.join('.');
  return new PolicySpecError(name, `policy ${name}: ${issue.message}`);
}

function ruleError(label: string, index: number, field: string, message: string): PolicyRuleError {
  const position = `rules[${index}]`;
  const which = label === position ? position : `${JSON.stringify(label)} (${position})`;
  return new PolicyRuleError(label, index, field, `policy rule ${which}: ${field}: ${message}`);
}

/** The rule's name as written when it is a usable string, else its position. */
function ruleLabel(input: unknown, index: number): string {
  const rules =
    typeof input === 'object' && input !== null ? (input as { rules?: unknown }).rules : undefined;
  const rule = Array.isArray(rules) ? (rules[index] as unknown) : undefined;
  const name = typeof rule === 'object' && rule !== null ? (rule as { name?: unknown }).name : undefined;
  return typeof name === 'string' && name !== '' ? name : `rules[${index}]`;
}
