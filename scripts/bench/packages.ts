import { spawn } from 'node:child_process';
import { ROOT } from './processes.js';
import type { Row } from './report-types.js';
import { count, fixed } from './stats.js';

/** The packages' own benchmarks, run as they are and read from their output. */

function run(args: readonly string[], env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('pnpm', [...args], { cwd: ROOT, env: { ...process.env, ...env } });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      out += chunk;
    });
    child.once('error', reject);
    child.once('close', (code) =>
      code === 0
        ? resolve(out)
        : reject(new Error(`pnpm ${args.join(' ')} exited ${code}:\n${out.slice(-2000)}`)),
    );
  });
}

const number = (text: string | undefined): number => Number((text ?? 'NaN').replace(/,/g, ''));

export async function policyBench(): Promise<Row[]> {
  const out = await run(['--filter', '@gatehouse/policy', 'bench']);
  const rules = /policy: (\d+) rules/.exec(out)?.[1] ?? '?';
  const line = (label: string) => {
    const match = new RegExp(`^${label}\\s+([\\d,]+) decisions/s\\s+([\\d.]+) µs/decision`, 'm').exec(out);
    return { perSecond: number(match?.[1]), micros: number(match?.[2]) };
  };
  const decide = line('decide');
  const both = line('parseAction \\+ decide');
  const cel = line('decide with CEL');
  const section = `Policy (${rules} rules; packages/policy decide.bench.ts)`;
  return [
    {
      section,
      measure: 'decide',
      value: `${count(decide.perSecond)} decisions/s, ${fixed(decide.micros, 3)} µs each`,
      goal: '< 5 µs',
      met: decide.micros < 5,
    },
    {
      section,
      measure: 'parseAction + decide',
      value: `${count(both.perSecond)}/s, ${fixed(both.micros, 3)} µs each`,
      goal: '',
    },
    {
      section,
      measure: 'decide with two CEL rules (request; body of workload writes)',
      value: `${count(cel.perSecond)} decisions/s, ${fixed(cel.micros, 3)} µs each`,
      goal: '< 25 µs',
      met: cel.micros < 25,
    },
  ];
}

export async function auditBench(events: number): Promise<Row[]> {
  const out = await run(['--filter', '@gatehouse/audit', 'bench'], { BENCH_EVENTS: String(events) });
  const line = (label: string) => number(new RegExp(`^${label}\\s+([\\d,]+) events/s`, 'm').exec(out)?.[1]);
  const one = line('one writer, 256 in flight:');
  const two = line('two writers \\(own connections\\), racing:');
  const awaited = line('one writer, each record\\(\\) awaited:');
  const intact = /chain after the run: intact/.test(out);
  const section = `Audit (${count(events)} events; packages/audit bench/append.ts)`;
  return [
    {
      section,
      measure: 'events appended/s, one writer (256 in flight)',
      value: `${count(one)}/s`,
      goal: '≥ 5,000/s',
      met: one >= 5000,
    },
    {
      section,
      measure: 'two writers racing / each record() awaited',
      value: `${count(two)}/s / ${count(awaited)}/s; chain ${intact ? 'intact' : 'NOT intact'}`,
      goal: '',
      met: intact ? undefined : false,
    },
  ];
}

export async function durabilityBench(): Promise<Row[]> {
  const out = await run(['--filter', '@gatehouse/approvals', 'bench']);
  const line = (label: string) => {
    const match = new RegExp(`^${label}:? p50 ([\\d.]+) ms p99 ([\\d.]+) ms`, 'm').exec(out);
    return { p50: number(match?.[1]), p99: number(match?.[2]) };
  };
  const operations = /durable writes: (\d+) of each/.exec(out)?.[1] ?? '?';
  const section = `Durable writes (a private primary and replica; ${operations} of each, one at a time; packages/approvals bench)`;
  const pair = (what: string, label: string): Row => {
    const waited = line(`${label} with WAIT 1`);
    const none = line(`${label} without WAIT`);
    return {
      section,
      measure: `${what}: minReplicasToAck 1 / 0`,
      value: `p50 ${fixed(waited.p50)} / ${fixed(none.p50)} ms (+${fixed(waited.p50 - none.p50)} ms), p99 ${fixed(waited.p99)} / ${fixed(none.p99)} ms`,
      goal: '',
    };
  };
  return [pair('a vote that approves', 'vote'), pair('a dispatch claim', 'claim')];
}
