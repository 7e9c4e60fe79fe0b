/**
 * `pnpm bench`: every measurement of issues 8 and 17 in one run — pass-through overhead (against
 * the bare Node proxy and nginx), streaming,
 * the approval path, mixed load (many agents' reads while requests are held and approved), the
 * scale of pending, policy decisions and audit appends — printed as a
 * table and written to BENCHMARKS.md. Loopback only, bounded in count and time; the Redis
 * prefix and every process started here are cleaned up, also on failure.
 *
 * Smaller runs for development (BENCHMARKS.md is written only by a full run):
 *   BENCH_ONLY=passthrough,streaming,approvals,mixed,pending,policy,audit,durability  sections to run
 *   BENCH_SECONDS, BENCH_ROUNDS, BENCH_CONNECTIONS, BENCH_APPROVALS, BENCH_PENDING, BENCH_AUDIT_EVENTS
 *   BENCH_MIXED_SECONDS, BENCH_MIXED_HELD, BENCH_MIXED_INTERVAL_MS  the mixed load's read window, held
 *     requests per round, and each agent's time between reads
 *   BENCH_GATEWAY_NODE_ARGS="--cpu-prof --cpu-prof-dir=<dir>"  profile the gateway;  BENCH_KEEP=1  keep logs
 *   BENCH_SLACKBOT_NODE_ARGS, BENCH_BARE_NODE_ARGS  the same for the slackbot and the bare proxy
 *   BENCH_CALLGRIND=1  proxies under callgrind: instructions per request instead of timed rounds
 *   BENCH_BASELINE_GATEWAY=<another checkout, built>  its gateway beside this one (A/B in one run)
 */
import { approvalPath } from './approvals.js';
import { CALLGRIND } from './callgrind.js';
import { instructionCounts } from './instructions.js';
import { mixedLoad } from './mixed.js';
import { auditBench, durabilityBench, policyBench } from './packages.js';
import { passThrough } from './passthrough.js';
import { scaleOfPending } from './pending.js';
import { machine, table, writeBenchmarksMd } from './report.js';
import type { Row } from './report-types.js';
import { type BenchStack, READERS, startBenchStack } from './stack.js';
import { count, monotonicMs } from './stats.js';
import { streaming } from './streaming.js';

const setting = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const settings = {
  connections: setting('BENCH_CONNECTIONS', 16),
  rounds: setting('BENCH_ROUNDS', 3),
  seconds: setting('BENCH_SECONDS', 5),
  watchPairs: setting('BENCH_WATCH_PAIRS', 2),
  approvals: setting('BENCH_APPROVALS', 200),
  approvalGapMs: setting('BENCH_APPROVAL_GAP_MS', 100),
  mixedSeconds: setting('BENCH_MIXED_SECONDS', 15),
  mixedHeld: setting('BENCH_MIXED_HELD', 50),
  mixedIntervalMs: setting('BENCH_MIXED_INTERVAL_MS', 500),
  pending: setting('BENCH_PENDING', 10_000),
  pendingRuns: setting('BENCH_PENDING_RUNS', 20),
  auditEvents: setting('BENCH_AUDIT_EVENTS', 20_000),
};
const SECTIONS = [
  'policy',
  'audit',
  'durability',
  'passthrough',
  'streaming',
  'approvals',
  'mixed',
  'pending',
] as const;
const only = process.env.BENCH_ONLY?.split(',').map((s) => s.trim());
const wanted = (section: (typeof SECTIONS)[number]) => !only || only.includes(section);
/** Everything must be over well within this; a stuck run is stopped and cleaned up. */
const DEADLINE_MS = 15 * 60_000;

const started = monotonicMs();
const rows: Row[] = [];
const step = (name: string) =>
  process.stdout.write(`\n▶ ${name} (${Math.round((monotonicMs() - started) / 1000)} s)\n`);
let stack: BenchStack | undefined;

const watchdog = setTimeout(() => {
  process.stderr.write(`pnpm bench: not done after ${DEADLINE_MS / 60_000} minutes; stopping\n`);
  void (stack?.stop() ?? Promise.resolve()).finally(() => process.exit(1));
}, DEADLINE_MS);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void (stack?.stop() ?? Promise.resolve()).finally(() => process.exit(130)));
}

try {
  // The in-process benchmarks first, while nothing else runs.
  if (wanted('policy')) {
    step('policy decisions');
    rows.push(...(await policyBench()));
  }
  if (wanted('audit')) {
    step('audit appends');
    rows.push(...(await auditBench(settings.auditEvents)));
  }
  if (wanted('durability')) {
    step('durable writes: WAIT for a replica, and without');
    rows.push(...(await durabilityBench()));
  }
  if (
    ['passthrough', 'streaming', 'approvals', 'mixed', 'pending'].some((s) =>
      wanted(s as (typeof SECTIONS)[number]),
    )
  ) {
    step('starting upstream, bare proxy, gateway, slackbot, load client');
    stack = await startBenchStack({ traced: wanted('passthrough') && !CALLGRIND });
    if (wanted('passthrough') && CALLGRIND) {
      step('instructions per request (callgrind)');
      rows.push(
        ...(await instructionCounts(stack, {
          connections: settings.connections,
          durationMs: settings.seconds * 1000,
        })),
      );
    } else if (wanted('passthrough')) {
      step('pass-through overhead');
      rows.push(
        ...(await passThrough(stack, {
          connections: settings.connections,
          rounds: settings.rounds,
          durationMs: settings.seconds * 1000,
        })),
      );
    }
    if (wanted('streaming')) {
      step('streaming');
      rows.push(...(await streaming(stack, { watchPairs: settings.watchPairs })));
    }
    if (wanted('approvals')) {
      step('approval path');
      rows.push(
        ...(await approvalPath(stack, {
          count: settings.approvals,
          gapMs: settings.approvalGapMs,
          goal: true,
        })),
      );
      // Context: clicks back to back, each queued behind the previous decision's follow-up work.
      rows.push(
        ...(await approvalPath(stack, { count: Math.ceil(settings.approvals / 2), gapMs: 0, goal: false })),
      );
    }
    if (wanted('mixed')) {
      step('mixed load: reads of many agents while requests are held and approved');
      rows.push(
        ...(await mixedLoad(stack, {
          rounds: settings.rounds,
          durationMs: settings.mixedSeconds * 1000,
          held: settings.mixedHeld,
          intervalMs: settings.mixedIntervalMs,
          gapMs: settings.approvalGapMs,
        })),
      );
    }
    if (wanted('pending')) {
      step('scale of pending');
      rows.push(...(await scaleOfPending(stack, { count: settings.pending, runs: settings.pendingRuns })));
    }
  }
} finally {
  step('cleaning up');
  await stack?.stop();
  clearTimeout(watchdog);
}

const durationS = (monotonicMs() - started) / 1000;
process.stdout.write(`\n${table(rows)}\n\n${machine().join('\n')}\n\n`);
const defaults = Object.keys(process.env).every(
  (name) => !name.startsWith('BENCH_') || name === 'BENCH_KEEP',
);
if (defaults) {
  const summary = `${settings.connections} connections, ${settings.rounds} rounds of ${settings.seconds} s per target, ${settings.approvals} approvals, mixed load of ${READERS} agents reading every ${settings.mixedIntervalMs} ms with ${settings.mixedHeld} held in ${settings.rounds} rounds of ${settings.mixedSeconds} s, ${count(settings.pending)} held requests, ${count(settings.auditEvents)} audit events`;
  process.stdout.write(`wrote ${writeBenchmarksMd(rows, summary, durationS)} (${Math.round(durationS)} s)\n`);
} else {
  process.stdout.write(`BENCH_* settings given: BENCHMARKS.md left as it is (${Math.round(durationS)} s)\n`);
}
const missed = rows.filter((row) => row.met === false).length;
process.stdout.write(missed ? `${missed} goal(s) missed\n` : 'all goals met\n');
