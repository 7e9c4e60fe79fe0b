/**
 * Runs before `pnpm demo` and `pnpm test` (package.json): says at once which program is missing,
 * instead of an empty kubectl answer and a 30-second timeout later.
 */
import {
  KUBECTL_PREREQUISITE,
  missingPrerequisites,
  REDIS_SERVER_PREREQUISITE,
} from '@gatehouse/testkit/processes';

const purpose = process.argv[2] === 'demo' ? 'demo' : 'test';
const needed =
  purpose === 'demo' ? [KUBECTL_PREREQUISITE] : [KUBECTL_PREREQUISITE, REDIS_SERVER_PREREQUISITE];
const missing = missingPrerequisites(needed);
if (missing.length > 0) {
  process.stderr.write(`pnpm ${purpose} cannot run:\n${missing.map((line) => `  - ${line}`).join('\n')}\n`);
  process.exit(1);
}
