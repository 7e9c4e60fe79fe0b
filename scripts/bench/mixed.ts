import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  approveEach,
  type Click,
  clickLatencyMs,
  heldDeletePaths,
  holdDeletes,
  keepClicks,
  releaseHeld,
} from './approvals.js';
import { type PassThroughTarget, passThroughTargets, type RateReply } from './passthrough.js';
import { cpuMs, startHelper } from './processes.js';
import type { Row } from './report-types.js';
import { type BenchStack, READERS, redisServerPid } from './stack.js';
import { count, fixed, monotonicMs, percentile } from './stats.js';

/**
 * Mixed load (issue 17): READERS agents, each with its own token and connection, send small
 * allowed GETs through the gateway, one every `intervalMs` each; meanwhile `held` deletes are held
 * and approved one by one with signed clicks. The same reads through the bare undici proxy (nothing
 * held: it cannot hold) are the baseline, and the same reads through the gateway with nothing held
 * say what the held requests add. Rounds run the three one after another, the order rotating, so
 * drift on the shared machine hits all of them. A click counts as under load when it was sent and
 * answered inside its read window. Holds and clicks go out from a second load process, so a click's
 * send time is not stamped late by the event loop that drives the reads.
 */

export interface MixedOptions {
  readonly rounds: number;
  /** Length of each read window; clicks outside the gateway's are not counted as under load. */
  readonly durationMs: number;
  readonly held: number;
  /** Each agent sends a GET this often (or at once when its last answer came later). */
  readonly intervalMs: number;
  /** Pause after each approved request arrives, before the next click (people click seconds apart). */
  readonly gapMs: number;
}

/** `quiet`: the same gateway, in rounds where nothing is held: what the held requests add. */
type Side = 'gateway' | 'quiet' | 'bare proxy';
const SIDES: readonly Side[] = ['gateway', 'quiet', 'bare proxy'];

export async function mixedLoad(stack: BenchStack, options: MixedOptions): Promise<Row[]> {
  const targets = passThroughTargets(stack);
  const sides: Record<Side, PassThroughTarget> = {
    gateway: targets.gateway!,
    quiet: targets.gateway!,
    'bare proxy': targets['bare proxy']!,
  };
  /** The reads' answer, and when their timed part starts (after each agent's connection is open). */
  const reads = (side: Side, durationMs: number) => {
    const { origin, path, headers } = sides[side];
    const connected = stack.load.next('agents-connected', 60_000);
    const replied = stack.load.ask<RateReply>(
      {
        cmd: 'agents',
        origin,
        path,
        headers,
        agentHeaders: stack.readerHeaders,
        intervalMs: options.intervalMs,
        durationMs,
      },
      'rate',
      durationMs + 60_000,
    );
    return { connected, replied };
  };
  /** Whose CPU a window costs: the proxy on the read path, and what the held requests keep busy. */
  const busy = {
    gateway: stack.gateway.pid,
    'bare proxy': stack.bareProxy.pid,
    slackbot: stack.slackbot.pid,
    Redis: await redisServerPid(stack),
  };
  const cpuNow = () =>
    Object.fromEntries(Object.entries(busy).map(([name, pid]) => [name, pid ? cpuMs(pid) : 0]));
  const clicker = await startHelper('load-clicks', 'load.ts', { env: stack.tlsEnv, logDir: stack.dir });
  try {
    // Warm-up: connections, JIT, and the gateway's first look at each reader's token.
    for (const side of ['gateway', 'bare proxy'] as const) {
      const { connected, replied } = reads(side, 1500);
      await Promise.all([connected, replied]);
    }

    const perSide = <T>(make: () => T) =>
      Object.fromEntries(SIDES.map((side) => [side, make()])) as Record<Side, T>;
    const latencies = perSide((): number[] => []);
    const elapsedMs = perSide(() => 0);
    const errors = perSide(() => 0);
    /** CPU ms of each busy process over each side's windows, connecting included. */
    const cpu = perSide((): Record<string, number> => ({}));
    const roundRatios: number[] = [];
    const clicks: Click[] = [];
    /** Clicks sent and arrived while the reads ran: the ones this section is about. */
    const during: Click[] = [];
    /** Seconds into each gateway window at which its last held request had been approved. */
    const approvedAfterS: number[] = [];
    let answered = 0;
    /** With BENCH_KEEP, every read's send time (wall clock) and latency, per window. */
    const timeline: { round: number; side: Side; sentEpochMs: number[]; latenciesMs: number[] }[] = [];
    const toEpoch = Date.now() - monotonicMs();
    const holdAndApprove = async (round: number, connected: Promise<unknown>) => {
      await connected;
      const paths = heldDeletePaths(`mixed-${round}`, options.held);
      const messages = await holdDeletes(stack, paths, clicker);
      return await approveEach(stack, messages, paths, { gapMs: options.gapMs, client: clicker });
    };
    for (let round = 0; round < options.rounds; round += 1) {
      const order = SIDES.map((_, i) => SIDES[(i + round) % SIDES.length] as Side);
      const p99s: Partial<Record<Side, number>> = {};
      for (const side of order) {
        const cpuBefore = cpuNow();
        const { connected, replied } = reads(side, options.durationMs);
        const [reply, approved] = await Promise.all([
          replied,
          side === 'gateway' ? holdAndApprove(round, connected) : connected.then(() => []),
        ]);
        if (side === 'gateway') {
          answered += await releaseHeld(stack, clicker);
          const windowEnd = reply.startedAtMs + reply.elapsedMs;
          clicks.push(...approved);
          during.push(
            ...approved.filter((c) => c.sentAtMs >= reply.startedAtMs && c.arrivedAtMs <= windowEnd),
          );
          approvedAfterS.push(((approved.at(-1)?.arrivedAtMs ?? Number.NaN) - reply.startedAtMs) / 1000);
        }
        for (const [name, ms] of Object.entries(cpuNow())) {
          cpu[side][name] = (cpu[side][name] ?? 0) + ms - (cpuBefore[name] ?? 0);
        }
        latencies[side].push(...reply.latenciesMs);
        if (process.env.BENCH_KEEP) {
          const sentEpochMs = reply.sentAtMs.map((ms) => ms + toEpoch);
          timeline.push({ round, side, sentEpochMs, latenciesMs: reply.latenciesMs });
        }
        elapsedMs[side] += reply.elapsedMs;
        errors[side] += reply.errors;
        p99s[side] = percentile(reply.latenciesMs, 99);
      }
      roundRatios.push((p99s.gateway ?? Number.NaN) / (p99s['bare proxy'] ?? Number.NaN));
      process.stdout.write(
        `  round ${round + 1}/${options.rounds}: p99 gateway ${fixed(p99s.gateway ?? Number.NaN)} ms, nothing held ${fixed(p99s.quiet ?? Number.NaN)} ms, bare ${fixed(p99s['bare proxy'] ?? Number.NaN)} ms (${fixed(roundRatios.at(-1) ?? Number.NaN)}×); held all approved ${fixed(approvedAfterS.at(-1) ?? Number.NaN, 1)} s into the window\n`,
      );
    }
    await keepClicks(stack, 'mixed-approvals.json', clicks);
    if (process.env.BENCH_KEEP)
      await writeFile(join(stack.dir, 'mixed-reads.json'), JSON.stringify(timeline));

    const reads99 = (side: Side) => percentile(latencies[side], 99);
    const line = (side: Side) =>
      `p50 ${fixed(percentile(latencies[side], 50))} ms, p99 ${fixed(reads99(side))} ms, ${count(latencies[side].length / (elapsedMs[side] / 1000))} req/s${errors[side] ? `, ${errors[side]} errors` : ''}`;
    const ratio = reads99('gateway') / reads99('bare proxy');
    const clickMs = during.map(clickLatencyMs);
    const clickP99 = percentile(clickMs, 99);
    const heldTotal = options.held * options.rounds;
    const windowS = options.durationMs / 1000;
    const section = `Mixed load (${READERS} agents, a token and a connection each, one GET every ${options.intervalMs} ms each; ${options.held} held and approved meanwhile; ${options.rounds}×${windowS} s per target)`;
    return [
      { section, measure: 'allowed GET through the gateway', value: line('gateway'), goal: '' },
      {
        section,
        measure: 'the same GETs through the gateway, in rounds with nothing held',
        value: line('quiet'),
        goal: '',
      },
      {
        section,
        measure: 'the same GETs through the bare undici proxy (nothing held)',
        value: line('bare proxy'),
        goal: '',
      },
      {
        section,
        measure: 'allowed GET: gateway p99 / bare proxy p99',
        value: `${fixed(ratio)}× (per round: ${roundRatios.map((r) => fixed(r)).join(', ')})`,
        goal: '≤ 2×',
        met: ratio <= 2,
      },
      {
        section,
        measure: 'p99 gateway with held / gateway with nothing held / bare proxy',
        value: `${fixed(reads99('gateway') / reads99('quiet'))}× / ${fixed(reads99('quiet') / reads99('bare proxy'))}×`,
        goal: '',
      },
      {
        section,
        measure: 'signed Approve click → held request at the upstream, during the reads',
        value: `p50 ${fixed(percentile(clickMs, 50))} ms, p99 ${fixed(clickP99)} ms, max ${fixed(percentile(clickMs, 100))} ms (${during.length} of ${clicks.length} clicks inside the read windows, ${options.gapMs} ms apart)`,
        goal: 'p99 ≤ 50 ms',
        met: clickP99 <= 50,
      },
      {
        section,
        measure: 'CPU per window: gateway with held (until the last approval) / nothing held / bare proxy',
        value: Object.keys(busy)
          .map(
            (name) =>
              `${name} ${SIDES.map((side) => count((cpu[side][name] ?? 0) / options.rounds)).join(' / ')} ms`,
          )
          .join('; '),
        goal: '',
      },
      {
        section,
        measure: 'held requests answered 200 to the client',
        value: `${answered} of ${heldTotal}`,
        goal: `all ${heldTotal}`,
        met: answered === heldTotal,
      },
      {
        section,
        measure: `last held request approved, seconds into each ${windowS} s gateway window`,
        value: approvedAfterS.map((s) => fixed(s, 1)).join(', '),
        goal: '',
      },
    ];
  } finally {
    await clicker.stop();
  }
}
