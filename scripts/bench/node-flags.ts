import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './processes.js';

/**
 * The V8 flags the gateway image starts node with (apps/gateway/Dockerfile's ENTRYPOINT): the bench
 * runs every gateway as the image does, and the Node processes it is compared with (the bare proxy,
 * the servers that hold connections for the memory floor) with the same flags, so a ratio measures
 * the gate's work and not a heap setting.
 */
export function gatewayNodeFlags(dockerfile = join(ROOT, 'apps/gateway/Dockerfile')): string[] {
  const line = readFileSync(dockerfile, 'utf8')
    .split('\n')
    .find((candidate) => candidate.startsWith('ENTRYPOINT '));
  const command = line ? (JSON.parse(line.slice('ENTRYPOINT '.length)) as unknown) : undefined;
  const script = Array.isArray(command) ? command.indexOf('/app/dist/cli/index.js') : -1;
  if (!Array.isArray(command) || command[0] !== 'node' || script < 1) {
    throw new Error(`${dockerfile}: expected ENTRYPOINT ["node", <flags>..., "/app/dist/cli/index.js"]`);
  }
  return command.slice(1, script) as string[];
}
