import { setTimeout } from 'node:timers/promises';
import type { Service } from './processes.js';
import { cpuMs } from './processes.js';
import type { Row } from './report-types.js';
import type { BenchStack } from './stack.js';
import { CLUSTER, redisServerPid } from './stack.js';
import { count, fixed, percentile } from './stats.js';

/**
 * Small GETs at fixed concurrency straight to the upstream, through nginx, through the bare undici
 * proxy and through the gateway. Rounds alternate the four (the order rotates each round) so drift
 * on the shared machine hits all of them alike; the ratios are what count.
 */

const POD_PATH = '/api/v1/namespaces/x/pods/y';
const KUBECTL_HEADERS = { accept: 'application/json', 'user-agent': 'kubectl/v1.32.0 (linux/amd64)' };

export interface RateReply {
  type: 'rate';
  latenciesMs: number[];
  /** When each of latenciesMs was sent (monotonic ms). */
  sentAtMs: number[];
  errors: number;
  /** When the timed requests began (monotonic ms, the host's clock). */
  startedAtMs: number;
  elapsedMs: number;
}

export interface PassThroughOptions {
  readonly connections: number;
  readonly rounds: number;
  readonly durationMs: number;
}

export type Target =
  | 'direct'
  | 'nginx'
  | 'bare proxy'
  | 'bare proxy (pipe)'
  | 'gateway'
  | 'gateway (baseline)'
  | 'gateway (traced)';

export interface PassThroughTarget {
  readonly origin: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  /** The process doing the proxying (none for direct), whose cost per request is counted. */
  readonly service: Service | undefined;
}

/** The same small GET direct, through each proxy and through each gateway of the stack. */
export function passThroughTargets(stack: BenchStack): Partial<Record<Target, PassThroughTarget>> {
  const plain = { path: POD_PATH, headers: KUBECTL_HEADERS };
  const gateway = (origin: string, service: Service) => ({
    origin,
    path: `/clusters/${CLUSTER}${POD_PATH}`,
    headers: { ...KUBECTL_HEADERS, ...stack.agentHeaders },
    service,
  });
  return {
    direct: { ...plain, origin: stack.upstreamOrigin, service: undefined },
    nginx: { ...plain, origin: stack.nginxOrigin, service: stack.nginx },
    'bare proxy': { ...plain, origin: stack.bareOrigin, service: stack.bareProxy },
    'bare proxy (pipe)': { ...plain, origin: stack.barePipeOrigin, service: stack.barePipe },
    gateway: gateway(stack.gatewayOrigin, stack.gateway),
    ...(stack.baseline && {
      'gateway (baseline)': gateway(stack.baseline.origin, stack.baseline.service),
    }),
    ...(stack.traced && { 'gateway (traced)': gateway(stack.traced.origin, stack.traced.service) }),
  };
}

export async function passThrough(stack: BenchStack, options: PassThroughOptions): Promise<Row[]> {
  const targets = passThroughTargets(stack);
  const names = Object.keys(targets) as Target[];
  // The audit chain's scripts run in Redis.
  const redisPid = await redisServerPid(stack);
  /** Requests each target answered, warm-up and one-at-a-time runs included: what a traced gateway exports. */
  const sent = new Map<Target, number>();
  const run = async (target: Target, durationMs: number, connections = options.connections) => {
    const { service, ...request } = targets[target]!;
    const pid = service?.pid;
    const cpuBefore = pid ? cpuMs(pid) : 0;
    const redisBefore = redisPid ? cpuMs(redisPid) : 0;
    const reply = await stack.load.ask<RateReply>(
      { cmd: 'rate', ...request, connections, durationMs },
      'rate',
      durationMs + 60_000,
    );
    sent.set(target, (sent.get(target) ?? 0) + reply.latenciesMs.length + reply.errors);
    return {
      ...reply,
      cpuMs: pid ? cpuMs(pid) - cpuBefore : 0,
      redisCpuMs: redisPid ? cpuMs(redisPid) - redisBefore : 0,
    };
  };

  for (const target of names) await run(target, 1500); // warm-up: connections, JIT
  const results = Object.fromEntries(
    names.map((n) => [
      n,
      { latencies: [] as number[], ms: 0, errors: 0, cpuMs: 0, redisCpuMs: 0, answered: 0 },
    ]),
  );
  const roundRatios: number[] = [];
  for (let round = 0; round < options.rounds; round += 1) {
    const order = names.map((_, i) => names[(i + round) % names.length] as Target);
    const p50s: Partial<Record<Target, number>> = {};
    for (const target of order) {
      const reply = await run(target, options.durationMs);
      const result = results[target]!;
      for (const latency of reply.latenciesMs) result.latencies.push(latency);
      result.ms += reply.elapsedMs;
      result.errors += reply.errors;
      result.cpuMs += reply.cpuMs;
      result.redisCpuMs += reply.redisCpuMs;
      result.answered += reply.latenciesMs.length + reply.errors;
      p50s[target] = percentile(reply.latenciesMs, 50);
    }
    roundRatios.push((p50s.gateway ?? Number.NaN) / (p50s['bare proxy'] ?? Number.NaN));
    process.stdout.write(
      `  round ${round + 1}/${options.rounds}: gateway/bare p50 ${fixed(roundRatios.at(-1)!)}\n`,
    );
  }

  // Context: one request at a time, so the latency is the path's own, with no queue in front of it.
  const serial: Partial<Record<Target, number>> = {};
  for (const target of names) serial[target] = percentile((await run(target, 2000, 1)).latenciesMs, 50);

  const summary = (target: Target) => {
    const result = results[target]!;
    return {
      p50: percentile(result.latencies, 50),
      p99: percentile(result.latencies, 99),
      rps: result.latencies.length / (result.ms / 1000),
      errors: result.errors,
      cpuUsPerRequest: (result.cpuMs * 1000) / result.answered,
      redisUsPerRequest: (result.redisCpuMs * 1000) / result.answered,
    };
  };
  const direct = summary('direct');
  const nginx = summary('nginx');
  const bare = summary('bare proxy');
  const barePipe = summary('bare proxy (pipe)');
  const gateway = summary('gateway');
  const section = `Pass-through (GET pod, ${options.connections} connections, ${options.rounds}×${options.durationMs / 1000} s each)`;
  const line = (name: string, s: typeof direct): Row => ({
    section,
    measure: name,
    value: `p50 ${fixed(s.p50)} ms, p99 ${fixed(s.p99)} ms, ${count(s.rps)} req/s${s.cpuUsPerRequest ? `, ${count(s.cpuUsPerRequest)} µs CPU/request (+ Redis ${count(s.redisUsPerRequest)} µs)` : ''}${s.errors ? `, ${s.errors} errors` : ''}`,
    goal: '',
  });
  const p50Ratio = gateway.p50 / bare.p50;
  const rpsRatio = gateway.rps / bare.rps;
  /** `a` against `b` in the same rounds: p50, req/s and CPU per request as ratios. */
  const against = (a: typeof direct, b: typeof direct) =>
    `${fixed(a.p50 / b.p50)}×; ${fixed(a.rps / b.rps)}×; ${fixed(a.cpuUsPerRequest / b.cpuUsPerRequest)}×`;
  const baseline = stack.baseline && summary('gateway (baseline)');
  const ab: Row[] = baseline
    ? [
        line(`gateway (baseline: ${process.env.BENCH_BASELINE_GATEWAY})`, baseline),
        {
          section,
          measure: 'gateway / baseline gateway (p50; req/s; CPU/request)',
          value: `${against(gateway, baseline)} (baseline/bare CPU ${fixed(baseline.cpuUsPerRequest / bare.cpuUsPerRequest)}×)`,
          goal: '',
        },
      ]
    : [];
  const traced = stack.traced && summary('gateway (traced)');
  // Spans the receiver got per request the traced gateway answered: 1 when none was dropped. The batch
  // processor exports every 5 s or each 512 spans, so the last ones are waited for.
  if (stack.traced) await setTimeout(6_000);
  const exported = stack.traced
    ? stack.traced.receiver.spans().length / (sent.get('gateway (traced)') ?? 0)
    : 0;
  const tracing: Row[] = traced
    ? [
        line('gateway, tracing on (OTLP/HTTP to a local receiver)', traced),
        {
          section,
          measure: 'tracing on / off: traced gateway / gateway (p50; req/s; CPU/request)',
          value: `${against(traced, gateway)}; ${fixed(exported)} spans exported per request`,
          goal: '',
        },
      ]
    : [];
  return [
    ...ab,
    line('direct to upstream', direct),
    line('nginx (Debian) proxy', nginx),
    line('bare undici proxy (undici stream(), as the gateway forwards)', bare),
    line('bare undici proxy as before stop 29 (request(), body pipeline()d)', barePipe),
    line('gateway', gateway),
    ...tracing,
    {
      section,
      measure: 'gateway p50 / bare proxy p50',
      value: `${fixed(p50Ratio)}× (per round: ${roundRatios.map((r) => fixed(r)).join(', ')})`,
      goal: '≤ 1.15×',
      met: p50Ratio <= 1.15,
    },
    {
      section,
      measure: 'gateway req/s / bare proxy req/s',
      value: `${fixed(rpsRatio)}×`,
      goal: '≥ 0.8×',
      met: rpsRatio >= 0.8,
    },
    {
      section,
      measure: 'gateway CPU/request / bare proxy CPU/request',
      value: `${fixed(gateway.cpuUsPerRequest / bare.cpuUsPerRequest)}×`,
      goal: '≤ 1.25×',
      met: gateway.cpuUsPerRequest / bare.cpuUsPerRequest <= 1.25,
    },
    {
      section,
      measure:
        'against the floor as it was before stop 29: gateway / it, bare proxy / it (p50; req/s; CPU/request)',
      value: `${against(gateway, barePipe)}, ${against(bare, barePipe)}`,
      goal: '',
    },
    {
      section,
      measure: 'against nginx: gateway / nginx, bare proxy / nginx (p50; req/s; CPU/request)',
      value: `${fixed(gateway.p50 / nginx.p50)}×, ${fixed(bare.p50 / nginx.p50)}×; ${fixed(gateway.rps / nginx.rps)}×, ${fixed(bare.rps / nginx.rps)}×; ${fixed(gateway.cpuUsPerRequest / nginx.cpuUsPerRequest)}×, ${fixed(bare.cpuUsPerRequest / nginx.cpuUsPerRequest)}×`,
      goal: '',
    },
    {
      section,
      measure: 'one request at a time: p50 direct / nginx / bare proxy / gateway',
      value: `${fixed(serial.direct ?? Number.NaN)} / ${fixed(serial.nginx ?? Number.NaN)} / ${fixed(serial['bare proxy'] ?? Number.NaN)} / ${fixed(serial.gateway ?? Number.NaN)} ms (gateway/bare ${fixed((serial.gateway ?? Number.NaN) / (serial['bare proxy'] ?? Number.NaN))}×)`,
      goal: '',
    },
    {
      section,
      measure: 'gateway p99 / bare proxy p99; bare p50 / direct p50',
      value: `${fixed(gateway.p99 / bare.p99)}×; ${fixed(bare.p50 / direct.p50)}×`,
      goal: '',
    },
  ];
}
