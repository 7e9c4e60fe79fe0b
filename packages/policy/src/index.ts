export {
  CEL_COST_LIMIT,
  CEL_REFERENCE_INPUT_VALUES,
  CEL_VARIABLES,
} from './cel/condition.js';
export type { PolicyExplanation, RuleExplanation } from './compile/explain.js';
export { compileGlobs, type StringMatcher } from './compile/glob.js';
export {
  type CompileOptions,
  compilePolicy,
  DEFAULT_RULE,
  type Policy,
  UNCLASSIFIED_RULE,
} from './compile/index.js';
export { type PolicyError, PolicyErrorCode, PolicyRuleError, PolicySpecError } from './errors.js';
export { parseAction } from './parse/index.js';
export { MAX_QUERY_PARAMETERS, type ParsedQuery, parseQuery } from './parse/query.js';
export { renderCommand } from './render/index.js';
export { escapeInvisible, type Shortened, shorten, textHash } from './render/printable.js';
export { compileSelector, type LabelSelector } from './selector/index.js';
export { type LabelsNeeded, labelsNeeded } from './selector/needed.js';
export {
  AUDIT_LEVELS,
  type AuditLevel,
  type PolicyRuleSpec,
  type PolicySpec,
  type PolicySpecInput,
  policySpecSchema,
  RULE_MODES,
  RULE_VERBS,
  type RuleMode,
  SELECTOR_OPERATORS,
} from './spec/schema.js';
export { validatePolicySpec } from './spec/validate.js';
export type {
  Action,
  Decision,
  KubeRequest,
  LabelLookup,
  NonResourceAction,
  ObservedRule,
  PatchType,
  PolicyContext,
  ResourceAction,
  UnclassifiedAction,
  Verb,
} from './types.js';
