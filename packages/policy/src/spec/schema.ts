import { z } from 'zod';

/** Verbs a rule may name: the Kubernetes ones plus the connect verbs people think in. */
export const RULE_VERBS = [
  'get',
  'list',
  'watch',
  'create',
  'update',
  'patch',
  'delete',
  'deletecollection',
  'exec',
  'attach',
  'portforward',
  'proxy',
] as const;

const glob = z.string().min(1, 'an empty pattern matches nothing').max(253);
const globs = z.array(glob).min(1, 'an empty list matches nothing; leave the field out to match anything');

const verb = z.enum([...RULE_VERBS, '*'], {
  error: (issue) =>
    `unknown verb ${JSON.stringify(issue.input)}; expected one of ${RULE_VERBS.join(', ')} or *`,
});

/** `pods` (any group), `deployments.apps`, `pods.core` (core group only), `*`, `*.apps`. */
const resourceRef = z
  .string()
  .regex(
    /^(\*|[a-z0-9]([-a-z0-9]*[a-z0-9])?)(\.(\*|[a-z0-9]([-a-z0-9.]*[a-z0-9])?))?$/,
    'a plural resource, optionally with its group: pods, deployments.apps, pods.core, *.apps, *',
  );

const subresource = z.string().regex(/^[a-z][a-z0-9-]*$/, 'a subresource such as exec, scale, status');

/** Label-selector operators, as `metav1.LabelSelectorOperator` (selector/index.ts reads them). */
export const SELECTOR_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'] as const;

/** A Kubernetes `LabelSelector`; keys, values and operator/values pairs are checked in selector/. */
const labelSelector = z.strictObject({
  matchLabels: z.record(z.string(), z.string()).optional(),
  matchExpressions: z
    .array(
      z.strictObject({
        key: z.string(),
        operator: z.enum(SELECTOR_OPERATORS, {
          error: (issue) =>
            `unknown operator ${JSON.stringify(issue.input)}; expected one of ${SELECTOR_OPERATORS.join(', ')}`,
        }),
        values: z.array(z.string()).optional(),
      }),
    )
    .optional(),
});

export const matchSchema = z.strictObject({
  clusters: globs.optional(),
  agents: globs.optional(),
  verbs: z.array(verb).min(1).optional(),
  resources: z.array(resourceRef).min(1).optional(),
  subresources: z.array(subresource).min(1).optional(),
  namespaces: globs.optional(),
  names: globs.optional(),
  /** Globs on non-resource URLs (`/healthz*`, `/metrics`); such a rule never matches resource URLs. */
  nonResourceURLs: z
    .array(z.string().regex(/^\/[\x21-\x7e]*$/, 'a path starting with /'))
    .min(1)
    .optional(),
  scaleToZero: z.boolean().optional(),
  /** Set: the rule matches only requests that do (true) or do not (false) write what pods run. */
  podTemplate: z.boolean().optional(),
  /** Set: the rule matches only dry runs (true) or only real requests (false). */
  dryRun: z.boolean().optional(),
  /** The labels of the request's namespace (of the namespace itself for `namespaces/<name>`). */
  namespaceSelector: labelSelector.optional(),
  /** The labels of the object the request is about (as stored; a create's from its body). */
  objectSelector: labelSelector.optional(),
});

export const requireSchema = z.strictObject({
  /** A key of `approverGroups` in the config. */
  group: z.string().min(1),
  approvals: z.number().int().min(1).max(10).default(1),
  /** Shown to approvers; defaults to a sentence naming the rule. */
  reason: z.string().min(1).optional(),
});

/**
 * `enforce`: the rule decides. `audit`: the rule never changes the decision; the audit records what it
 * would have done. `warn`: as audit, and the client gets a Kubernetes `Warning` header naming the rule.
 */
export const RULE_MODES = ['enforce', 'audit', 'warn'] as const;

/**
 * How much of an allowed request the audit keeps, least first, named after the Kubernetes audit
 * Policy's levels (kubernetes staging/src/k8s.io/apiserver/pkg/apis/audit/types.go, `Level`):
 * `None` not recorded (counted instead), `Metadata` who did what to which object and the answer,
 * `Request` that and the request's headers and body — today's record, and the default.
 * `RequestResponse` has no counterpart: response bodies are never recorded.
 */
export const AUDIT_LEVELS = ['None', 'Metadata', 'Request'] as const;

export const ruleSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, dot, dash, underscore'),
  match: matchSchema,
  mode: z
    .enum(RULE_MODES, {
      error: (issue) =>
        `unknown mode ${JSON.stringify(issue.input)}; expected one of ${RULE_MODES.join(', ')}`,
    })
    .default('enforce'),
  /**
   * Lowers the audit record of the requests this rule allows (absent: `Request`, the full record).
   * Only an enforced allow rule may lower it (spec/validate.ts).
   */
  auditLevel: z
    .enum(AUDIT_LEVELS, {
      error: (issue) =>
        `unknown audit level ${JSON.stringify(issue.input)}; expected one of ${AUDIT_LEVELS.join(', ')}`,
    })
    .optional(),
  /**
   * CEL expressions (as ValidatingAdmissionPolicy's matchConditions): the rule matches only when its
   * `match` does and every expression is true. Checked when the config loads (cel/).
   */
  conditions: z
    .array(z.string().min(1, 'an empty expression').max(4096, 'longer than 4096 characters'))
    .min(1, 'an empty list; leave the field out for no conditions')
    .max(16, 'at most 16 conditions per rule')
    .optional(),
  allow: z.union([z.literal(true), z.strictObject({})]).optional(),
  deny: z.strictObject({ reason: z.string().min(1) }).optional(),
  require: requireSchema.optional(),
});

export const policySpecSchema = z.strictObject({
  /** For requests no rule matches. Absent: deny (fail closed). */
  default: z
    .union([z.enum(['allow', 'deny']), z.strictObject({ require: requireSchema })], {
      error: () => 'expected allow, deny or { require: { group, approvals } }',
    })
    .default('deny'),
  /** For requests the parser cannot classify. Never allow: deny, or hold for approval. */
  unclassified: z
    .union([z.literal('deny'), z.strictObject({ require: requireSchema })], {
      error: () =>
        'expected deny or { require: { group, approvals } } (unclassified requests are never allowed)',
    })
    .default('deny'),
  rules: z.array(ruleSchema).default([]),
});

/** The policy section as written in gatehouse.yaml. */
export type PolicySpecInput = z.input<typeof policySpecSchema>;
/** The policy section after validation and defaults. */
export type PolicySpec = z.output<typeof policySpecSchema>;
export type PolicyRuleSpec = z.output<typeof ruleSchema>;
export type RequireSpec = z.output<typeof requireSchema>;
export type LabelSelectorSpec = z.output<typeof labelSelector>;
export type RuleMode = (typeof RULE_MODES)[number];
export type AuditLevel = (typeof AUDIT_LEVELS)[number];
