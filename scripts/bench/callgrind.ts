import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';

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

const run = promisify(execFile);

/**
 * Sends a callgrind_control command and returns how many requests `poke` sent meanwhile: valgrind takes
 * commands only while the process runs code, and an idle server sits in epoll_wait until a request comes.
 */
async function control(pid: number, poke: () => Promise<number>, ...args: string[]): Promise<number> {
  let done = false;
  const command = run('callgrind_control', [...args, String(pid)]).finally(() => {
    done = true;
  });
  let poked = 0;
  while (!done) poked += await poke();
  await command;
  return poked;
}

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

/** Requests for a while, returning how many were answered. */
export type Traffic = (durationMs: number) => Promise<number>;

/**
 * Instructions per request the process executed: instrumentation on, a settle (the JIT's code is
 * re-translated once it runs instrumented), counters zeroed, `durationMs` of traffic, a dump,
 * instrumentation off. The few single requests that wake the process for the zero and the dump count
 * half (the zero lands somewhere in one) and whole; against hundreds measured that is noise.
 */
export async function instructionsPerRequest(
  pid: number,
  outFile: string,
  traffic: Traffic,
  poke: () => Promise<number>,
  durationMs: number,
): Promise<{ perRequest: number; requests: number }> {
  await control(pid, poke, '-i', 'on');
  try {
    await traffic(2000);
    const beforeZero = await control(pid, poke, '-z');
    const measured = await traffic(durationMs);
    const beforeDump = await control(pid, poke, '-d');
    const requests = measured + beforeDump + beforeZero / 2;
    return { perRequest: lastDumpTotal(outFile) / requests, requests };
  } finally {
    await control(pid, poke, '-i', 'off');
  }
}
