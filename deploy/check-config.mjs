// Validates shipped gatehouse.yaml files with the real loader (@gatehouse/config), so the compose
// example and the Helm chart's ConfigMap cannot drift from the schema; in rendered manifests, the
// ClusterRole that lets the gateway impersonate must name exactly the users and groups the loaded
// config impersonates (impersonatedNames), so the chart's template cannot drift from the gateway.
// Each argument is a gatehouse.yaml, or rendered manifests whose ConfigMaps carry one.
// Run from the repository root: node --import tsx --conditions=@gatehouse/source deploy/check-config.mjs FILE...
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { impersonatedNames, loadConfig } from '../packages/config/src/index.ts';

// `yaml` is a dependency of the config package, not of the repository root.
const { parseAllDocuments } = createRequire(resolve('packages/config/package.json'))('yaml');

// Stand-ins for the secrets the environment would hold; the files themselves must need no more.
const env = { EKS_ROLE_ARN: 'arn:aws:iam::123456789012:role/gatehouse-check', HOME: tmpdir() };

/**
 * The gatehouse.yaml texts in a file: its own text, or those of its ConfigMaps, each with the
 * impersonate rules rendered beside it (`rbac` undefined for a plain gatehouse.yaml).
 */
function configsIn(file) {
  const text = readFileSync(file, 'utf8');
  const documents = parseAllDocuments(text).map((document) => document.toJS());
  if (!documents.some((document) => document?.kind)) return [{ source: file, text, rbac: undefined }];
  const rules = documents
    .filter((document) => document?.kind === 'ClusterRole')
    .flatMap((document) => document.rules ?? [])
    .filter((rule) => rule.verbs?.includes('impersonate'));
  const named = (resource) =>
    [
      ...new Set(
        rules.filter((rule) => rule.resources?.includes(resource)).flatMap((rule) => rule.resourceNames),
      ),
    ].sort();
  const rbac = { users: named('users'), groups: named('groups') };
  return documents
    .filter((document) => document?.kind === 'ConfigMap' && document.data?.['gatehouse.yaml'])
    .map((document) => ({
      source: `${file} (ConfigMap ${document.metadata.name})`,
      text: document.data['gatehouse.yaml'],
      rbac,
    }));
}

/** Why the rendered impersonate rules differ from what the gateway impersonates; undefined when they match. */
function rbacMismatch(config, rbac) {
  const expected = impersonatedNames(config);
  const differs = (a, b) => JSON.stringify(a) !== JSON.stringify(b);
  if (!differs(expected.users, rbac.users) && !differs(expected.groups, rbac.groups)) return undefined;
  return `the chart lets the gateway impersonate users ${JSON.stringify(rbac.users)} and groups ${JSON.stringify(rbac.groups)}, but the config impersonates users ${JSON.stringify(expected.users)} and groups ${JSON.stringify(expected.groups)}`;
}

const scratch = mkdtempSync(join(tmpdir(), 'gatehouse-check-config-'));
let failures = 0;
let checked = 0;
try {
  for (const file of process.argv.slice(2)) {
    const configs = configsIn(file);
    if (configs.length === 0) {
      console.error(`FAIL ${file}: no gatehouse.yaml found in it`);
      failures += 1;
    }
    for (const { source, text, rbac } of configs) {
      const path = join(scratch, 'gatehouse.yaml');
      writeFileSync(path, text);
      checked += 1;
      try {
        const config = loadConfig(path, env);
        const mismatch = rbac && rbacMismatch(config, rbac);
        if (mismatch) throw new Error(mismatch);
        console.log(
          `ok   ${source}${rbac ? ` (impersonates ${rbac.users.length} users, ${rbac.groups.length} groups)` : ''}`,
        );
      } catch (error) {
        failures += 1;
        console.error(`FAIL ${source}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
console.log(`config check: ${checked - failures} valid, ${failures} invalid`);
process.exit(failures > 0 || checked === 0 ? 1 : 0);
