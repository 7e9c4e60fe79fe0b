import { spawnSync } from 'node:child_process';
import { KUBECTL } from './kubectl.js';

/** A program the demo or the tests run for real, and how to get it. */
export interface Prerequisite {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  /** Why it is needed and how to install it. */
  readonly hint: string;
}

export const KUBECTL_PREREQUISITE: Prerequisite = {
  name: 'kubectl',
  command: KUBECTL,
  args: ['version', '--client', '--output=json'],
  hint:
    'the demo and the end-to-end tests drive the real kubectl (v1.32 is what CI runs). Install it ' +
    '(https://kubernetes.io/docs/tasks/tools/, or apt-get install kubectl from the Kubernetes apt repository), ' +
    'or point KUBECTL at it',
};

export const REDIS_SERVER_PREREQUISITE: Prerequisite = {
  name: 'redis-server',
  command: 'redis-server',
  args: ['--version'],
  hint: 'crash and outage tests start a private Redis of their own. Install it (apt-get install redis-server)',
};

/** One line per missing program, naming it, where it was looked for, and the fix; empty when all are there. */
export function missingPrerequisites(needed: readonly Prerequisite[]): string[] {
  return needed.flatMap((prerequisite) => {
    const run = spawnSync(prerequisite.command, [...prerequisite.args], { stdio: 'ignore', timeout: 10_000 });
    if (!run.error && run.status === 0) return [];
    const why = run.error ? run.error.message : `exited with ${run.status ?? run.signal}`;
    return [`${prerequisite.name} is missing (${prerequisite.command}: ${why}): ${prerequisite.hint}.`];
  });
}
