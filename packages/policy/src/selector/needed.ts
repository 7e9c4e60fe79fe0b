import type { PolicySpec } from '../spec/schema.js';

/** Which labels and objects a policy can read, so the gateway looks up only those. */
export interface LabelsNeeded {
  /** A rule has a `namespaceSelector` or a condition reads `namespaceObject`: the namespace cache runs. */
  readonly namespaces: boolean;
  /** A rule has an `objectSelector` or a condition reads `oldObject`: the target object is read. */
  readonly objects: boolean;
}

/**
 * Read from the rules as written. A condition is taken to read a variable when its text names it:
 * a string literal that merely contains the word turns a lookup on, which costs a read, never a
 * missed label.
 */
export function labelsNeeded(spec: PolicySpec): LabelsNeeded {
  const names = (variable: string) => new RegExp(`\\b${variable}\\b`);
  const reads = (variable: string) =>
    spec.rules.some((rule) => (rule.conditions ?? []).some((c) => names(variable).test(c)));
  return {
    namespaces:
      spec.rules.some((rule) => rule.match.namespaceSelector !== undefined) || reads('namespaceObject'),
    objects: spec.rules.some((rule) => rule.match.objectSelector !== undefined) || reads('oldObject'),
  };
}
