import type { parse } from '@bufbuild/cel';

/** A node of the parsed expression (the package does not export the protobuf type itself). */
export type Expr = NonNullable<ReturnType<typeof parse>['expr']>;

/**
 * A CEL expression's worst-case cost as a polynomial in n, the number of values in its input (list
 * elements and map entries of every variable): `coefficients[d]` multiplies n^d. Every node of the
 * expression costs 1; a comprehension (`exists`, `all`, `map`, `filter`...) runs its loop once per
 * element, so its loop's cost is multiplied by n, and a comprehension inside one by n².
 *
 * The API server estimates the same way, with list sizes from the CRD schema's maxItems
 * (k8s.io/apiserver/pkg/cel/library/cost.go, checker.CostEstimate); a request body has no schema
 * here, so the bound is checked again on each request with the input's real size.
 */
export type CostPolynomial = readonly number[];

export function estimateCost(expr: Expr | undefined): CostPolynomial {
  if (expr === undefined) return [];
  const kind = expr.exprKind;
  switch (kind.case) {
    case 'constExpr':
    case 'identExpr':
      return [1];
    case 'selectExpr':
      return add([1], estimateCost(kind.value.operand));
    case 'callExpr':
      return [kind.value.target, ...kind.value.args].reduce<CostPolynomial>(
        (sum, arg) => add(sum, estimateCost(arg)),
        [1],
      );
    case 'listExpr':
      return kind.value.elements.reduce<CostPolynomial>((sum, e) => add(sum, estimateCost(e)), [1]);
    case 'structExpr':
      return kind.value.entries.reduce<CostPolynomial>(
        (sum, entry) =>
          add(
            add(sum, estimateCost(entry.value)),
            entry.keyKind.case === 'mapKey' ? estimateCost(entry.keyKind.value) : [],
          ),
        [1],
      );
    case 'comprehensionExpr': {
      const c = kind.value;
      const once = add(add(estimateCost(c.iterRange), estimateCost(c.accuInit)), estimateCost(c.result));
      const loop = add(estimateCost(c.loopCondition), estimateCost(c.loopStep));
      return add(add([1], once), [0, ...loop]);
    }
    default:
      return [1];
  }
}

/** The cost for an input of `n` values. */
export function costAt(cost: CostPolynomial, n: number): number {
  let total = 0;
  for (let d = cost.length - 1; d >= 0; d--) total = total * n + cost[d]!;
  return total;
}

function add(a: CostPolynomial, b: CostPolynomial): CostPolynomial {
  const out = a.length >= b.length ? [...a] : [...b];
  const other = a.length >= b.length ? b : a;
  other.forEach((c, d) => {
    out[d] = out[d]! + c;
  });
  return out;
}
