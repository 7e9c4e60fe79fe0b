import type { PolicyRuleSpec } from '../spec/schema.js';
import type { Action, PolicyContext, ResourceAction } from '../types.js';
import { compileGlobs } from './glob.js';

/** A rule's `match` as one predicate over a classified (resource or non-resource) action. */
export type RulePredicate = (
  ctx: PolicyContext,
  action: Exclude<Action, { kind: 'unclassified' }>,
) => boolean;

/** A rule's `match`, compiled: the predicate, and which field refused a request (for `policy check`). */
export interface CompiledMatch {
  readonly test: RulePredicate;
  /** The first field of `match` the action fails, or `undefined` when it matches. */
  readonly refusedBy: (
    ctx: PolicyContext,
    action: Exclude<Action, { kind: 'unclassified' }>,
  ) => string | undefined;
}

/**
 * Every field present must match; an absent field matches anything. Fields about
 * resources (resources, subresources, namespaces, names, scaleToZero: true) never match a
 * non-resource URL or an action that lacks the attribute (a list has no name).
 */
export function compileMatch(match: PolicyRuleSpec['match']): CompiledMatch {
  const checks: { readonly field: string; readonly test: RulePredicate }[] = [];
  if (match.clusters) {
    const m = compileGlobs(match.clusters);
    checks.push({ field: 'clusters', test: (ctx) => m(ctx.cluster) });
  }
  if (match.agents) {
    const m = compileGlobs(match.agents);
    checks.push({ field: 'agents', test: (ctx) => m(ctx.agent) });
  }
  if (match.verbs && !match.verbs.includes('*')) {
    const verbs = new Set<string>(match.verbs);
    checks.push({ field: 'verbs', test: (_, a) => verbs.has(a.verb) });
  }
  if (match.resources) {
    const m = compileResources(match.resources);
    checks.push({ field: 'resources', test: (_, a) => a.kind === 'resource' && m(a) });
  }
  if (match.subresources) {
    const subs = new Set(match.subresources);
    checks.push({
      field: 'subresources',
      test: (_, a) => a.kind === 'resource' && a.subresource !== undefined && subs.has(a.subresource),
    });
  }
  if (match.namespaces) {
    const m = compileGlobs(match.namespaces);
    checks.push({ field: 'namespaces', test: (_, a) => a.kind === 'resource' && m(a.namespace) });
  }
  if (match.names) {
    const m = compileGlobs(match.names);
    checks.push({ field: 'names', test: (_, a) => a.kind === 'resource' && m(a.name) });
  }
  if (match.nonResourceURLs) {
    const m = compileGlobs(match.nonResourceURLs);
    checks.push({ field: 'nonResourceURLs', test: (_, a) => a.kind === 'nonResource' && m(a.path) });
  }
  if (match.scaleToZero !== undefined) {
    const want = match.scaleToZero;
    checks.push({ field: 'scaleToZero', test: (_, a) => (a.kind === 'resource' && a.scaleToZero) === want });
  }
  if (match.podTemplate !== undefined) {
    const want = match.podTemplate;
    checks.push({
      field: 'podTemplate',
      test: (_, a) => (a.kind === 'resource' && a.podTemplate === true) === want,
    });
  }
  if (match.dryRun !== undefined) {
    const want = match.dryRun;
    checks.push({ field: 'dryRun', test: (_, a) => (a.kind === 'resource' && a.dryRun) === want });
  }
  const tests = checks.map((check) => check.test);
  return {
    test: (ctx, action) => {
      for (const test of tests) if (!test(ctx, action)) return false;
      return true;
    },
    refusedBy: (ctx, action) => checks.find((check) => !check.test(ctx, action))?.field,
  };
}

/** `pods` any group, `pods.core` core only, `deployments.apps`, `*.apps`, `deployments.*`, `*`. */
function compileResources(refs: readonly string[]): (a: ResourceAction) => boolean {
  const parsed = refs.map((ref) => {
    const dot = ref.indexOf('.');
    const resource = dot < 0 ? ref : ref.slice(0, dot);
    const group = dot < 0 ? '*' : ref.slice(dot + 1);
    return { resource, group: group === 'core' ? '' : group };
  });
  return (a) =>
    parsed.some(
      (r) => (r.resource === '*' || r.resource === a.resource) && (r.group === '*' || r.group === a.apiGroup),
    );
}
