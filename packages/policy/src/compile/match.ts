import type { PolicyRuleSpec } from '../spec/schema.js';
import type { Action, PolicyContext, ResourceAction } from '../types.js';
import { compileGlobs } from './glob.js';

/** A rule's `match` as one predicate over a classified (resource or non-resource) action. */
export type RulePredicate = (
  ctx: PolicyContext,
  action: Exclude<Action, { kind: 'unclassified' }>,
) => boolean;

/**
 * Every field present must match; an absent field matches anything. Fields about
 * resources (resources, subresources, namespaces, names, scaleToZero: true) never match a
 * non-resource URL or an action that lacks the attribute (a list has no name).
 */
export function compileMatch(match: PolicyRuleSpec['match']): RulePredicate {
  const checks: RulePredicate[] = [];
  if (match.clusters) {
    const m = compileGlobs(match.clusters);
    checks.push((ctx) => m(ctx.cluster));
  }
  if (match.agents) {
    const m = compileGlobs(match.agents);
    checks.push((ctx) => m(ctx.agent));
  }
  if (match.verbs && !match.verbs.includes('*')) {
    const verbs = new Set<string>(match.verbs);
    checks.push((_, a) => verbs.has(a.verb));
  }
  if (match.resources) {
    const m = compileResources(match.resources);
    checks.push((_, a) => a.kind === 'resource' && m(a));
  }
  if (match.subresources) {
    const subs = new Set(match.subresources);
    checks.push((_, a) => a.kind === 'resource' && a.subresource !== undefined && subs.has(a.subresource));
  }
  if (match.namespaces) {
    const m = compileGlobs(match.namespaces);
    checks.push((_, a) => a.kind === 'resource' && m(a.namespace));
  }
  if (match.names) {
    const m = compileGlobs(match.names);
    checks.push((_, a) => a.kind === 'resource' && m(a.name));
  }
  if (match.nonResourceURLs) {
    const m = compileGlobs(match.nonResourceURLs);
    checks.push((_, a) => a.kind === 'nonResource' && m(a.path));
  }
  if (match.scaleToZero !== undefined) {
    const want = match.scaleToZero;
    checks.push((_, a) => (a.kind === 'resource' && a.scaleToZero) === want);
  }
  if (match.podTemplate !== undefined) {
    const want = match.podTemplate;
    checks.push((_, a) => (a.kind === 'resource' && a.podTemplate === true) === want);
  }
  if (match.dryRun !== undefined) {
    const want = match.dryRun;
    checks.push((_, a) => (a.kind === 'resource' && a.dryRun) === want);
  }
  return (ctx, action) => {
    for (const check of checks) if (!check(ctx, action)) return false;
    return true;
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
