import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './processes.js';
import type { Row } from './report-types.js';

/** The results table, for the terminal and for BENCHMARKS.md. */

const mark = (row: Row) => (row.met === undefined ? '' : row.met ? 'met' : '**MISSED**');
const cell = (text: string) => text.replace(/\|/g, '\\|');

export function table(rows: readonly Row[]): string {
  const lines: string[] = [];
  let section = '';
  for (const row of rows) {
    if (row.section !== section) {
      section = row.section;
      lines.push(
        '',
        `**${cell(section)}**`,
        '',
        '| Measurement | Result | Goal | |',
        '| --- | --- | --- | --- |',
      );
    }
    lines.push(`| ${cell(row.measure)} | ${cell(row.value)} | ${cell(row.goal)} | ${mark(row)} |`);
  }
  return lines.join('\n').trimStart();
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    return '?';
  }
}

/** The 1/5/15-minute load averages as `uptime` prints them; the machine is shared, so say how busy it was. */
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(', ');
const loadAtStart = load();

export function machine(): string[] {
  return [
    `- CPUs (\`nproc\`): ${execFileSync('nproc', { encoding: 'utf8' }).trim()} × ${cpus()[0]?.model ?? 'unknown'}`,
    `- Memory: ${(totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    `- Node ${process.version}, ${process.platform}/${process.arch}`,
    `- Load average (\`uptime\`, 1/5/15 min) at the start: ${loadAtStart}; at the end: ${load()} (2 cores shared with other sessions)`,
    `- Redis ${process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'} (local, shared with the other processes)`,
    `- Commit ${git(['rev-parse', '--short', 'HEAD'])}${git(['status', '--porcelain', '--untracked-files=no']) ? ' (with uncommitted changes in the tree)' : ''}`,
    `- Date ${new Date().toISOString()}`,
  ];
}

export function writeBenchmarksMd(rows: readonly Row[], settings: string, durationS: number): string {
  const missed = rows.filter((row) => row.met === false);
  const findingsFile = join(import.meta.dirname, 'findings.md');
  const findings = existsSync(findingsFile) ? readFileSync(findingsFile, 'utf8').trim() : '';
  const text = [
    '# Benchmarks',
    '',
    'Written by `pnpm bench` (scripts/bench/index.ts); do not edit by hand — the analysis at the end',
    'comes from scripts/bench/findings.md. Absolute numbers on a shared 2-core machine are noise; the',
    'ratios against baselines measured in the same run are what the goals of issues 8 and 17 are about.',
    '',
    '## Command',
    '',
    '```',
    'pnpm bench',
    '```',
    '',
    `Settings: ${settings}. The whole run took ${Math.round(durationS)} s. Smaller runs for development`,
    '(`BENCH_ONLY=pending BENCH_PENDING=2000 pnpm bench`, …) are listed at the top of scripts/bench/index.ts;',
    'they print the table without rewriting this file.',
    '',
    '## Machine',
    '',
    ...machine(),
    '',
    '## Results',
    '',
    table(rows),
    '',
    '## Goals',
    '',
    missed.length === 0
      ? `All ${rows.filter((r) => r.met !== undefined).length} goals met in this run.`
      : `${rows.filter((r) => r.met === true).length} goals met, ${missed.length} missed in this run: ${missed.map((r) => `${r.measure} (${r.value}; goal ${r.goal})`).join('; ')}.`,
    '',
    findings,
    '',
  ].join('\n');
  const path = join(ROOT, 'BENCHMARKS.md');
  writeFileSync(path, text);
  return path;
}
