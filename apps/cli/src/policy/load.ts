import { readFile } from 'node:fs/promises';
import { compilePolicy, type Policy } from '@gatehouse/policy';
import { parse } from 'yaml';

/**
 * A policy from a file: a whole gatehouse.yaml (its `policy:` section, checked against its
 * `approverGroups`) or a file holding only a policy section (`default`, `unclassified`, `rules`).
 * Throws the policy's coded errors, which name the rule and the field.
 */
export async function loadPolicy(path: string): Promise<Policy> {
  const document: unknown = parse(await readFile(path, 'utf8'));
  const root = typeof document === 'object' && document !== null ? (document as Record<string, unknown>) : {};
  if (!('policy' in root)) return compilePolicy(document);
  const groups = root.approverGroups;
  const knownGroups = typeof groups === 'object' && groups !== null ? Object.keys(groups) : undefined;
  return compilePolicy(root.policy, { knownGroups });
}
