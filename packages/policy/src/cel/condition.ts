import { celEnv, isCelError, parse, plan } from '@bufbuild/cel';
import { type CostPolynomial, costAt, type Expr, estimateCost } from './cost.js';
import type { CelBindings, CelVariable } from './input.js';

/** The variables a condition may read (README: "conditions"). */
export const CEL_VARIABLES: readonly CelVariable[] = ['request', 'object', 'oldObject', 'namespaceObject'];

/**
 * The most an expression may cost, in evaluation steps: the API server's per-expression limit for
 * admission CEL (k8s.io/apiserver/pkg/apis/cel/config.go, PerCallLimit = 1000000).
 */
export const CEL_COST_LIMIT = 1_000_000;

/**
 * The input size the bound is checked for when the config loads: a Deployment as kubectl sends it has
 * about a hundred values. Each request is checked again with its own size (a bigger body, a nested
 * loop over it, may exceed the limit and then fails closed).
 */
export const CEL_REFERENCE_INPUT_VALUES = 100;

/** CEL's type names, which an expression may name as values (`type(x) == string`). */
const TYPE_NAMES = new Set([
  'bool',
  'bytes',
  'double',
  'int',
  'list',
  'map',
  'null_type',
  'string',
  'type',
  'uint',
]);

export type ConditionOutcome =
  | { readonly result: boolean }
  /** The expression could not be evaluated (a missing field, a wrong type, over its cost bound). */
  | { readonly error: string };

export interface Condition {
  readonly expression: string;
  evaluate(bindings: CelBindings): ConditionOutcome;
}

export type CompiledCondition =
  | { readonly ok: true; readonly condition: Condition }
  | { readonly ok: false; readonly message: string };

const env = celEnv();

/**
 * Parses and plans one expression. Refuses a syntax error, a variable other than {@link CEL_VARIABLES}
 * and an expression whose cost for {@link CEL_REFERENCE_INPUT_VALUES} values exceeds the limit.
 */
export function compileCondition(expression: string): CompiledCondition {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(expression);
  } catch (error) {
    return {
      ok: false,
      message: `does not parse: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
  const free = new Set(freeVariables(parsed.expr));
  const unknown = [...free].filter(
    (name) => !(CEL_VARIABLES as readonly string[]).includes(name) && !TYPE_NAMES.has(name),
  );
  const reads = CEL_VARIABLES.filter((name) => free.has(name));
  if (unknown.length > 0) {
    return {
      ok: false,
      message: `unknown variable ${unknown.map((n) => JSON.stringify(n)).join(', ')}; the variables are ${CEL_VARIABLES.join(', ')}`,
    };
  }
  const cost = estimateCost(parsed.expr);
  const reference = costAt(cost, CEL_REFERENCE_INPUT_VALUES);
  if (reference > CEL_COST_LIMIT) {
    return {
      ok: false,
      message: `costs about ${Math.round(reference)} steps on an input of ${CEL_REFERENCE_INPUT_VALUES} values, more than the limit of ${CEL_COST_LIMIT}; nest fewer loops (exists, all, map, filter)`,
    };
  }
  const program = plan(env, parsed);
  return {
    ok: true,
    condition: { expression, evaluate: (bindings) => evaluate(program, cost, reads, bindings) },
  };
}

function evaluate(
  program: ReturnType<typeof plan>,
  cost: CostPolynomial,
  reads: readonly CelVariable[],
  bindings: CelBindings,
): ConditionOutcome {
  const size = bindings.size(reads);
  if (size === undefined) return { error: 'the request body could not be read as JSON or YAML' };
  const steps = costAt(cost, size);
  if (steps > CEL_COST_LIMIT) {
    return {
      error: `would cost about ${Math.round(steps)} steps on this request's ${size} values, more than the limit of ${CEL_COST_LIMIT}`,
    };
  }
  try {
    const result = program(bindings.values);
    if (typeof result === 'boolean') return { result };
    if (isCelError(result)) return { error: result.message };
    return { error: `gave ${typeof result}, not a bool` };
  } catch (error) {
    // The evaluator should return errors, not throw them; if it throws, the condition still fails closed.
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

/** Identifiers the expression reads that no comprehension binds. */
function freeVariables(expr: Expr | undefined, bound: ReadonlySet<string> = new Set()): string[] {
  if (expr === undefined) return [];
  const kind = expr.exprKind;
  switch (kind.case) {
    case 'identExpr':
      return bound.has(kind.value.name) ? [] : [kind.value.name];
    case 'selectExpr':
      return freeVariables(kind.value.operand, bound);
    case 'callExpr':
      return [kind.value.target, ...kind.value.args].flatMap((e) => freeVariables(e, bound));
    case 'listExpr':
      return kind.value.elements.flatMap((e) => freeVariables(e, bound));
    case 'structExpr':
      return kind.value.entries.flatMap((entry) => [
        ...freeVariables(entry.value, bound),
        ...(entry.keyKind.case === 'mapKey' ? freeVariables(entry.keyKind.value, bound) : []),
      ]);
    case 'comprehensionExpr': {
      const c = kind.value;
      const inner = new Set([...bound, c.iterVar, c.iterVar2, c.accuVar].filter((n) => n !== ''));
      return [
        ...freeVariables(c.iterRange, bound),
        ...freeVariables(c.accuInit, bound),
        ...freeVariables(c.loopCondition, inner),
        ...freeVariables(c.loopStep, inner),
        ...freeVariables(c.result, new Set([...bound, c.accuVar])),
      ];
    }
    default:
      return [];
  }
}
