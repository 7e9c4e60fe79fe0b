import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import { gatewayNodeFlags } from './node-flags.js';
import { rssMb, sampleRss, startHelper } from './processes.js';
import type { Row } from './report-types.js';
import { startResponseSink, timePending } from './slack-driver.js';
import { APPROVER_CHANNEL, type BenchStack, CLUSTER } from './stack.js';
import { count, fixed, monotonicMs, percentile } from './stats.js';

/**
 * Scale of pending: `count` different deletes held at once on one gateway, each on its own
 * connection. Measures the gateway's RSS and Redis's memory with all of them waiting, and the
 * latency of `/gatehouse pending` (signed slash command → answer at its response_url), with none
 * pending and with all of them pending. For scale, the same number of requests is held by a Node
 * server that does nothing else (over HTTPS and over plain HTTP: the floor), and by a second
 * gateway serving plain HTTP, as it would behind a TLS-terminating proxy.
 */

async function heldGauge(origin: string, dispatcher: Agent): Promise<number> {
  const response = await request(`${origin}/metrics`, { dispatcher });
  const text = await response.body.text();
  const match = /^gatehouse_gateway_held_requests (\d+)/m.exec(text);
  return match ? Number(match[1]) : Number.NaN;
}

async function waitFor(read: () => Promise<number>, target: number, timeoutMs: number): Promise<number> {
  const deadline = monotonicMs() + timeoutMs;
  let value = await read();
  while (value !== target && monotonicMs() < deadline) {
    await sleep(250);
    value = await read();
  }
  return value;
}

async function redisUsedMb(stack: BenchStack): Promise<number> {
  const info = await stack.redis.redis.info('memory');
  const match = /^used_memory:(\d+)/m.exec(info);
  return Number(match?.[1] ?? Number.NaN) / 1024 / 1024;
}

async function pendingLatencies(stack: BenchStack, runs: number): Promise<{ ms: number[]; total: string }> {
  const sink = await startResponseSink();
  try {
    const ms: number[] = [];
    let total = '';
    for (let i = 0; i < runs; i += 1) {
      const answer = await timePending(stack, sink);
      ms.push(answer.ms);
      total = /(\d[\d,]*) requests? waiting/i.exec(answer.body)?.[1] ?? total;
    }
    return { ms, total };
  } finally {
    await sink.close();
  }
}

interface Held {
  readonly held: number;
  readonly seconds: number;
  readonly failed: number;
  readonly rssBefore: number;
  readonly rssHeld: number;
  readonly rssPeak: number;
  /** KB of RSS per held request. */
  readonly perRequestKb: number;
}

/** Holds `paths` on `origin` from the load process until `heldCount` says all of them are held. */
async function holdAll(
  stack: BenchStack,
  target: { origin: string; pid: number; headers: Record<string, string>; heldCount: () => Promise<number> },
  paths: readonly string[],
): Promise<Held> {
  const rssBefore = rssMb(target.pid);
  const sampler = sampleRss(target.pid, 100);
  const started = monotonicMs();
  const sent = await stack.load.ask<{ type: 'hold-sent'; failed: number }>(
    { cmd: 'hold', origin: target.origin, method: 'DELETE', paths, headers: target.headers, batch: 200 },
    'hold-sent',
    300_000,
  );
  const held = await waitFor(target.heldCount, paths.length, 240_000);
  const seconds = (monotonicMs() - started) / 1000;
  const rssHeld = rssMb(target.pid);
  return {
    held,
    seconds,
    failed: sent.failed,
    rssBefore,
    rssHeld,
    rssPeak: sampler.stop(),
    perRequestKb: ((rssHeld - rssBefore) * 1024) / paths.length,
  };
}

/**
 * Issue 17: holding costs almost nothing above TLS — the gateway's RSS growth at most this many times the
 * growth of a Node server that holds the same connections and does nothing else, in the same run.
 */
const FLOOR_RATIO_GOAL = 1.15;

const release = (stack: BenchStack) => stack.load.ask({ cmd: 'release' }, 'released', 120_000);

const paths = (n: number, tag: string) =>
  Array.from(
    { length: n },
    (_, i) => `/clusters/${CLUSTER}/api/v1/namespaces/payments-prod/pods/${tag}-${i}`,
  );

async function floor(stack: BenchStack, n: number, plain: boolean): Promise<Held> {
  const server = await startHelper(plain ? 'floor-http' : 'floor-https', 'hold-floor.ts', {
    env: { ...stack.tlsEnv, BENCH_FLOOR_PLAIN: plain ? '1' : '0' },
    logDir: stack.dir,
    nodeArgs: gatewayNodeFlags(),
  });
  try {
    const origin = `${plain ? 'http' : 'https'}://127.0.0.1:${server.ready.port as number}`;
    const heldCount = async () => (await server.ask<{ type: 'held'; count: number }>({}, 'held')).count;
    const result = await holdAll(
      stack,
      { origin, pid: server.pid, headers: stack.agentHeaders, heldCount },
      paths(n, 'floor'),
    );
    await release(stack);
    return result;
  } finally {
    await server.stop();
  }
}

export async function scaleOfPending(
  stack: BenchStack,
  options: { count: number; runs: number },
): Promise<Row[]> {
  const n = options.count;
  const dispatcher = new Agent({ connect: { ca: readFileSync(join(stack.dir, 'ca.pem')) } });
  const floorTls = await floor(stack, n, false);
  const floorPlain = await floor(stack, n, true);

  const idle = await pendingLatencies(stack, options.runs);
  const redisBefore = await redisUsedMb(stack);
  const postedBefore = stack.slack.messages(APPROVER_CHANNEL).length;
  const started = monotonicMs();
  const gateway = await holdAll(
    stack,
    {
      origin: stack.gatewayOrigin,
      pid: stack.gateway.pid,
      headers: stack.agentHeaders,
      heldCount: () => heldGauge(stack.gatewayOrigin, dispatcher),
    },
    paths(n, 'scale'),
  );
  const redisHeld = await redisUsedMb(stack);
  // The slackbot posts one message per approval; measure `pending` once it has caught up (bounded).
  const postDeadline = monotonicMs() + 240_000;
  while (stack.slack.messages(APPROVER_CHANNEL).length < postedBefore + n && monotonicMs() < postDeadline)
    await sleep(500);
  const posted = stack.slack.messages(APPROVER_CHANNEL).length - postedBefore;
  const postedAfterS = (monotonicMs() - started) / 1000;
  const full = await pendingLatencies(stack, options.runs);
  // Minutes after the holds arrived: what holding costs once the garbage of opening them is collected.
  const rssSettled = rssMb(stack.gateway.pid);
  const settledAfterS = (monotonicMs() - started) / 1000;
  const rssPeak = Math.max(gateway.rssPeak, rssSettled);
  await release(stack);
  const releasedTo = await waitFor(() => heldGauge(stack.gatewayOrigin, dispatcher), 0, 120_000);

  const plainGateway = await stack.startPlainGateway();
  const plain = await holdAll(
    stack,
    {
      origin: plainGateway.origin,
      pid: plainGateway.service.pid,
      headers: stack.agentHeaders,
      heldCount: () => heldGauge(plainGateway.origin, dispatcher),
    },
    paths(n, 'plain'),
  );
  await release(stack);
  await plainGateway.service.stop();
  await dispatcher.close();

  const section = `Scale of pending (${count(n)} held requests, one connection each)`;
  const p99 = (ms: number[]) => percentile(ms, 99);
  const growth = (h: Held) => h.rssHeld - h.rssBefore;
  const rss = (h: Held) =>
    `${fixed(h.rssHeld, 0)} MB (${fixed(h.rssBefore, 0)} MB before, +${fixed(h.rssHeld - h.rssBefore, 0)} MB = ${fixed(h.perRequestKb, 1)} KB per held request)`;
  return [
    {
      section,
      measure: 'requests held at once (gateway gauge)',
      value: `${count(gateway.held)} after ${fixed(gateway.seconds, 1)} s${gateway.failed ? ` (${gateway.failed} failed to connect)` : ''}; ${releasedTo} after release`,
      goal: count(n),
      met: gateway.held === n,
    },
    {
      section,
      measure: 'gateway RSS with all held (TLS in the gateway)',
      value: `${rss(gateway)}; peak ${fixed(rssPeak, 0)} MB`,
      goal: '',
    },
    {
      section,
      measure: 'gateway RSS still holding all, once the slackbot posted them and `pending` was timed',
      value: `${fixed(rssSettled, 0)} MB (+${fixed(rssSettled - gateway.rssBefore, 0)} MB = ${fixed(((rssSettled - gateway.rssBefore) * 1024) / n, 1)} KB per held request), ${fixed(settledAfterS, 0)} s after the first was sent`,
      goal: '',
    },
    {
      section,
      measure: 'floor: Node HTTPS server holding them, nothing else',
      value: rss(floorTls),
      goal: '',
    },
    {
      section,
      measure: 'RSS growth: gateway / Node HTTPS server (the same connections held)',
      value: `${fixed(growth(gateway) / growth(floorTls))}×`,
      goal: `≤ ${FLOOR_RATIO_GOAL}×`,
      met: growth(gateway) / growth(floorTls) <= FLOOR_RATIO_GOAL,
    },
    {
      section,
      measure: 'floor: Node HTTP server holding them, nothing else',
      value: rss(floorPlain),
      goal: '',
    },
    {
      section,
      measure: 'second gateway, plain HTTP (TLS terminated in front)',
      value: `${rss(plain)}; peak ${fixed(plain.rssPeak, 0)} MB; ${count(plain.held)} held`,
      goal: '',
    },
    {
      section,
      measure: 'RSS growth: plain-HTTP gateway / Node HTTP server',
      value: `${fixed(growth(plain) / growth(floorPlain))}×`,
      goal: `≤ ${FLOOR_RATIO_GOAL}×`,
      met: growth(plain) / growth(floorPlain) <= FLOOR_RATIO_GOAL,
    },
    {
      section,
      measure: 'Redis used_memory growth',
      value: `+${fixed(redisHeld - redisBefore, 1)} MB (${fixed(((redisHeld - redisBefore) * 1024) / n, 2)} KB per approval)`,
      goal: '',
    },
    {
      section,
      measure: 'approval messages posted by the slackbot',
      value: `${count(posted)} after ${fixed(postedAfterS, 1)} s`,
      goal: '',
    },
    {
      section,
      measure: '`/gatehouse pending` with none pending',
      value: `p50 ${fixed(percentile(idle.ms, 50))} ms, p99 ${fixed(p99(idle.ms))} ms (${options.runs} runs)`,
      goal: '< 300 ms',
      met: p99(idle.ms) < 300,
    },
    {
      section,
      measure: `\`/gatehouse pending\` with ${count(n)} pending`,
      value: `p50 ${fixed(percentile(full.ms, 50))} ms, p99 ${fixed(p99(full.ms))} ms (${options.runs} runs${full.total ? `; the answer says ${full.total} waiting` : ''})`,
      goal: '< 300 ms',
      met: p99(full.ms) < 300,
    },
  ];
}
