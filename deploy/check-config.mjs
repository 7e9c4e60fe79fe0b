// Validates shipped gatehouse.yaml files with the real loader (@gatehouse/config), so the compose
// example and the Helm chart's ConfigMap cannot drift from the schema.
// Each argument is a gatehouse.yaml, or rendered manifests whose ConfigMaps carry one.
// Run from the repository root: node --import tsx --conditions=@gatehouse/source deploy/check-config.mjs FILE...
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfig } from '../packages/config/src/index.ts';

// `yaml` is a dependency of the config package, not of the repository root.
const { parseAllDocuments } = createRequire(resolve('packages/config/package.json'))('yaml');

// Stand-ins for the secrets the environment would hold; the files themselves must need no more.
const env = { EKS_ROLE_ARN: 'arn:aws:iam::123456789012:role/gatehouse-check', HOME: tmpdir() };

/** The gatehouse.yaml texts in a file: its own text, or those of its ConfigMaps. */
function configsIn(file) {
  const text = readFileSync(file, 'utf8');
  const documents = parseAllDocuments(text).map((document) => document.toJS());
  if (!documents.some((document) => document?.kind)) return [{ source: file, text }];
  return documents
    .filter((document) => document?.kind === 'ConfigMap' && document.data?.['gatehouse.yaml'])
    .map((document) => ({
      source: `${file} (ConfigMap ${document.metadata.name})`,
      text: document.data['gatehouse.yaml'],
    }));
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
    for (const { source, text } of configs) {
      const path = join(scratch, 'gatehouse.yaml');
      writeFileSync(path, text);
      checked += 1;
      try {
        loadConfig(path, env);
        console.log(`ok   ${source}`);
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
