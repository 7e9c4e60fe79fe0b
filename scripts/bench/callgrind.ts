import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * BENCH_CALLGRIND=1: the proxies run under `valgrind --tool=callgrind` with instrumentation off until a
 * measurement turns it on, so what a request costs is counted in instructions — the same on an idle
 * machine and on one shared with seven busy sessions, where CPU time per request drifts by half.
 */

export const CALLGRIND = process.env.BENCH_CALLGRIND === '1';
export const VALGRIND = '/usr/bin/valgrind';

/** valgrind's arguments before the program's own. */
export function callgrindArgs(outFile: string): string[] {
  return ['--tool=callgrind', '--instr-atstart=no', `--callgrind-out-file=${outFile}`];
}

const control = (pid: number, ...args: string[]) =>
  execFileSync('callgrind_control', [...args, String(pid)], { stdio: 'ignore' });

/** The `totals:` of the newest dump `<outFile>.<n>` callgrind_control -d wrote. */
function lastDumpTotal(outFile: string): number {
  const prefix = `${basename(outFile)}.`;
  const dumps = readdirSync(dirname(outFile))
    .filter((name) => name.startsWith(prefix))
    .map((name) => Number(name.slice(prefix.length)))
    .filter(Number.isInteger)
    .sort((a, b) => a - b);
  const newest = dumps.at(-1);
  if (newest === undefined) throw new Error(`callgrind wrote no dump for ${outFile}`);
  const text = readFileSync(join(dirname(outFile), `${prefix}${newest}`), 'utf8');
  const total = /^totals:\s+(\d+)/m.exec(text)?.[1];
  if (total === undefined) throw new Error(`no totals in ${outFile}.${newest}`);
  return Number(total);
}

/**
 * Instructions the process executed during `measure`: instrumentation on, a short settle (the JIT's code
 * is re-translated once it runs instrumented), counters zeroed, `measure`, a dump, instrumentation off.
 */
export async function countInstructions<T>(
  pid: number,
  outFile: string,
  measure: () => Promise<T>,
  settle: () => Promise<unknown>,
): Promise<{ result: T; instructions: number }> {
  control(pid, '-i', 'on');
  try {
    await settle();
    await sleep(100);
    control(pid, '-z');
    const result = await measure();
    control(pid, '-d');
    return { result, instructions: lastDumpTotal(outFile) };
  } finally {
    control(pid, '-i', 'off');
  }
}
