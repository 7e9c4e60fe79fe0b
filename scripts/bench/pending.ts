import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import { rssMb, sampleRss } from './processes.js';
import type { Row } from './report-types.js';
import { startResponseSink, timePending } from './slack-driver.js';
import { APPROVER_CHANNEL, type BenchStack, CLUSTER } from './stack.js';
import { count, fixed, monotonicMs, percentile } from './stats.js';

/**
 * Scale of pending: `count` different deletes held at once on one gateway, each on its own
 * connection. Measures the gateway's RSS and Redis's memory with all of them waiting, and the
 * latency of `/gatehouse pending` (signed slash command → answer at its response_url), with
 * none pending and with all of them pending.
 */

async function heldGauge(stack: BenchStack, dispatcher: Agent): Promise<number> {
  const response = await request(`${stack.gatewayOrigin}/metrics`, { dispatcher });
  const text = await response.body.text();
  const match = /^gatehouse_gateway_held_requests (\d+)/m.exec(text);
  return match ? Number(match[1]) : Number.NaN;
}

async function waitForHeld(
  stack: BenchStack,
  dispatcher: Agent,
  target: number,
  timeoutMs: number,
): Promise<number> {
  const deadline = monotonicMs() + timeoutMs;
  let held = await heldGauge(stack, dispatcher);
  while (held !== target && monotonicMs() < deadline) {
    await sleep(250);
    held = await heldGauge(stack, dispatcher);
  }
  return held;
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
      total = /(\d[\d,]*) (?:requests? )?(?:pending|waiting)/i.exec(answer.body)?.[1] ?? total;
    }
    return { ms, total };
  } finally {
    await sink.close();
  }
}

export async function scaleOfPending(
  stack: BenchStack,
  options: { count: number; runs: number },
): Promise<Row[]> {
  const dispatcher = new Agent({ connect: { ca: readFileSync(join(stack.dir, 'ca.pem')) } });
  const idle = await pendingLatencies(stack, options.runs);
  const rssBefore = rssMb(stack.gateway.pid);
  const redisBefore = await redisUsedMb(stack);
  const postedBefore = stack.slack.messages(APPROVER_CHANNEL).length;

  const paths = Array.from(
    { length: options.count },
    (_, i) => `/clusters/${CLUSTER}/api/v1/namespaces/payments-prod/pods/scale-${i}`,
  );
  const sampler = sampleRss(stack.gateway.pid, 100);
  const started = monotonicMs();
  const sent = await stack.load.ask<{ type: 'hold-sent'; failed: number }>(
    {
      cmd: 'hold',
      origin: stack.gatewayOrigin,
      method: 'DELETE',
      paths,
      headers: stack.agentHeaders,
      batch: 200,
    },
    'hold-sent',
    300_000,
  );
  const held = await waitForHeld(stack, dispatcher, options.count, 240_000);
  const heldAfterS = (monotonicMs() - started) / 1000;
  const rssHeld = rssMb(stack.gateway.pid);
  const redisHeld = await redisUsedMb(stack);
  // The slackbot posts one message per approval; measure `pending` once it has caught up (bounded).
  const postDeadline = monotonicMs() + 240_000;
  while (
    stack.slack.messages(APPROVER_CHANNEL).length < postedBefore + options.count &&
    monotonicMs() < postDeadline
  )
    await sleep(500);
  const posted = stack.slack.messages(APPROVER_CHANNEL).length - postedBefore;
  const postedAfterS = (monotonicMs() - started) / 1000;
  const full = await pendingLatencies(stack, options.runs);
  const rssPeak = sampler.stop();

  await stack.load.ask({ cmd: 'release' }, 'released', 120_000);
  const releasedTo = await waitForHeld(stack, dispatcher, 0, 120_000);
  await dispatcher.close();

  const section = `Scale of pending (${count(options.count)} held requests, one connection each)`;
  const rssGrowth = rssHeld - rssBefore;
  const p99 = (ms: number[]) => percentile(ms, 99);
  return [
    {
      section,
      measure: 'requests held at once (gateway gauge)',
      value: `${count(held)} after ${fixed(heldAfterS, 1)} s${sent.failed ? ` (${sent.failed} failed to connect)` : ''}; back to ${releasedTo} after release`,
      goal: count(options.count),
      met: held === options.count,
    },
    {
      section,
      measure: 'gateway RSS with all held (peak)',
      value: `${fixed(rssHeld, 0)} MB (peak ${fixed(rssPeak, 0)} MB; ${fixed(rssBefore, 0)} MB before, +${fixed(rssGrowth, 0)} MB = ${fixed((rssGrowth * 1024) / options.count, 1)} KB per held request)`,
      goal: '< 300 MB',
      met: rssPeak < 300,
    },
    {
      section,
      measure: 'Redis used_memory growth',
      value: `+${fixed(redisHeld - redisBefore, 1)} MB (${fixed(((redisHeld - redisBefore) * 1024) / options.count, 2)} KB per approval)`,
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
      measure: `\`/gatehouse pending\` with ${count(options.count)} pending`,
      value: `p50 ${fixed(percentile(full.ms, 50))} ms, p99 ${fixed(p99(full.ms))} ms (${options.runs} runs${full.total ? `; answer says ${full.total}` : ''})`,
      goal: '< 300 ms',
      met: p99(full.ms) < 300,
    },
  ];
}
