import { instructionsPerRequest } from './callgrind.js';
import { passThroughTargets, type RateReply, type Target } from './passthrough.js';
import type { Row } from './report-types.js';
import type { BenchStack } from './stack.js';
import { count, fixed } from './stats.js';

/**
 * BENCH_CALLGRIND=1: instructions per small GET of each proxy, counted by callgrind (callgrind.ts) —
 * the CPU-per-request comparison that holds on a loaded machine. Latency under valgrind means nothing,
 * so this replaces the pass-through section's timed rounds.
 */

export interface InstructionOptions {
  readonly connections: number;
  readonly durationMs: number;
}

export async function instructionCounts(stack: BenchStack, options: InstructionOptions): Promise<Row[]> {
  const targets = passThroughTargets(stack);
  const rate = async (target: Target, durationMs: number, connections = options.connections) => {
    const { service: _service, ...request } = targets[target]!;
    const reply = await stack.load.ask<RateReply>(
      { cmd: 'rate', ...request, connections, durationMs },
      'rate',
      durationMs + 120_000,
    );
    return reply.latenciesMs.length + reply.errors;
  };
  const perRequest: Partial<Record<Target, { instructions: number; requests: number }>> = {};
  for (const target of Object.keys(targets) as Target[]) {
    const service = targets[target]?.service;
    if (!service?.callgrindOut) continue;
    await rate(target, 3000); // connections and JIT, uninstrumented
    const { perRequest: instructions, requests } = await instructionsPerRequest(
      service.pid,
      service.callgrindOut,
      (durationMs) => rate(target, durationMs),
      () => rate(target, 50, 1),
      options.durationMs,
    );
    perRequest[target] = { instructions, requests };
    process.stdout.write(`  ${target}: ${count(instructions)} instructions/request (${requests} requests)\n`);
  }
  const section = `Instructions per small GET (callgrind, ${options.connections} connections)`;
  const of = (target: Target) => perRequest[target]?.instructions ?? Number.NaN;
  const rows: Row[] = (Object.keys(perRequest) as Target[]).map((target) => ({
    section,
    measure: target,
    value: `${count(of(target))} instructions/request (${perRequest[target]?.requests} requests)`,
    goal: '',
  }));
  rows.push({
    section,
    measure: 'gateway / bare proxy; gateway / nginx; bare proxy / nginx',
    value: `${fixed(of('gateway') / of('bare proxy'))}×; ${fixed(of('gateway') / of('nginx'))}×; ${fixed(of('bare proxy') / of('nginx'))}×`,
    goal: '≤ 1.25× (gateway / bare proxy)',
    met: of('gateway') / of('bare proxy') <= 1.25,
  });
  if (perRequest['gateway (baseline)']) {
    rows.push({
      section,
      measure: 'gateway / baseline gateway',
      value: `${fixed(of('gateway') / of('gateway (baseline)'))}×`,
      goal: '',
    });
  }
  return rows;
}
