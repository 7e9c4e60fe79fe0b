/** Codes for every failure the policy package reports; callers branch on `code`, never on message text. */
export enum PolicyErrorCode {
  /** The policy section is not an object of the expected shape (outside any one rule). */
  InvalidSpec = 'POLICY_INVALID_SPEC',
  /** One rule is wrong; the error names the rule and the field. */
  InvalidRule = 'POLICY_INVALID_RULE',
}

/** The policy section as a whole is malformed (`default`, `unclassified`, `rules` not a list...). */
export class PolicySpecError extends Error {
  override readonly name = 'PolicySpecError';
  readonly code = PolicyErrorCode.InvalidSpec;
  constructor(
    /** Dotted path of the bad field inside the policy section, e.g. `default`. */
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** A rule of the policy is wrong. `rule` is its name when it has a usable one, else `rules[<index>]`. */
export class PolicyRuleError extends Error {
  override readonly name = 'PolicyRuleError';
  readonly code = PolicyErrorCode.InvalidRule;
  constructor(
    readonly rule: string,
    readonly ruleIndex: number,
    /** Dotted path of the bad field inside the rule, e.g. `match.verbs.1` or `require.group`. */
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

export type PolicyError = PolicySpecError | PolicyRuleError;
