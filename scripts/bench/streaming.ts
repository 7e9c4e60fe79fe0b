import { rssMb, sampleRss } from './processes.js';
import type { Row } from './report-types.js';
import type { BenchStack } from './stack.js';
import { CLUSTER } from './stack.js';
import { count, fixed, percentile } from './stats.js';

/**
 * A 50 MB list and a 10,000-event watch, direct and through the gateway. The gateway's RSS is
 * sampled from /proc while it streams; watch events carry the upstream's write time, so each
 * event's delay is measured on the shared monotonic clock, direct and through the gateway.
 */

const LIST_PATH = '/api/v1/pods';
const WATCH_PATH = '/api/v1/namespaces/watched/pods?watch=1&resourceVersion=4242';

interface StreamReply {
  type: 'stream';
  status: number;
  bytes: number;
  ms: number;
}
interface WatchReply {
  type: 'watch';
  status: number;
  delaysMs: number[];
}

export async function streaming(stack: BenchStack, options: { watchPairs: number }): Promise<Row[]> {
  const direct = { origin: stack.upstreamOrigin, headers: {} };
  const gateway = { origin: stack.gatewayOrigin, headers: stack.agentHeaders };
  const viaGateway = (path: string) => `/clusters/${CLUSTER}${path}`;
  const pid = stack.gateway.pid;

  const listDirect = await stack.load.ask<StreamReply>(
    { cmd: 'stream', ...direct, path: LIST_PATH },
    'stream',
  );
  let before = rssMb(pid);
  let sampler = sampleRss(pid);
  const listGateway = await stack.load.ask<StreamReply>(
    { cmd: 'stream', ...gateway, path: viaGateway(LIST_PATH) },
    'stream',
  );
  const listGrowth = sampler.stop() - before;
  if (listGateway.status !== 200 || listGateway.bytes !== listDirect.bytes)
    throw new Error(
      `the list through the gateway came back ${listGateway.status} with ${listGateway.bytes} bytes (direct: ${listDirect.bytes})`,
    );

  const directDelays: number[] = [];
  const gatewayDelays: number[] = [];
  let watchGrowth = 0;
  for (let pair = 0; pair < options.watchPairs; pair += 1) {
    const d = await stack.load.ask<WatchReply>({ cmd: 'watch', ...direct, path: WATCH_PATH }, 'watch');
    before = rssMb(pid);
    sampler = sampleRss(pid);
    const g = await stack.load.ask<WatchReply>(
      { cmd: 'watch', ...gateway, path: viaGateway(WATCH_PATH) },
      'watch',
    );
    watchGrowth = Math.max(watchGrowth, sampler.stop() - before);
    if (g.delaysMs.length !== d.delaysMs.length)
      throw new Error(
        `the watch through the gateway delivered ${g.delaysMs.length} events, direct ${d.delaysMs.length}`,
      );
    directDelays.push(...d.delaysMs);
    gatewayDelays.push(...g.delaysMs);
  }
  const events = directDelays.length / options.watchPairs;
  const extra = (p: number) => percentile(gatewayDelays, p) - percentile(directDelays, p);
  const delays = (samples: number[]) =>
    `p50 ${fixed(percentile(samples, 50))} ms, p99 ${fixed(percentile(samples, 99))} ms, max ${fixed(percentile(samples, 100))} ms`;

  const section = `Streaming (${fixed(listDirect.bytes / 1024 / 1024, 0)} MB list; watch of ${count(events)} events ×${options.watchPairs})`;
  return [
    {
      section,
      measure: 'list time: direct / gateway',
      value: `${count(listDirect.ms)} ms / ${count(listGateway.ms)} ms`,
      goal: '',
    },
    {
      section,
      measure: 'gateway RSS growth during the list',
      value: `${fixed(listGrowth, 1)} MB`,
      goal: '< 64 MB',
      met: listGrowth < 64,
    },
    {
      section,
      measure: 'gateway RSS growth during the watch',
      value: `${fixed(watchGrowth, 1)} MB`,
      goal: '< 64 MB',
      met: watchGrowth < 64,
    },
    { section, measure: 'event delay direct', value: delays(directDelays), goal: '' },
    { section, measure: 'event delay through the gateway', value: delays(gatewayDelays), goal: '' },
    {
      section,
      measure: 'extra delay through the gateway (p50 / p99 / max)',
      value: `${fixed(extra(50))} / ${fixed(extra(99))} / ${fixed(extra(100))} ms`,
      goal: 'p99 ≤ 5 ms ("a few ms")',
      met: extra(99) <= 5,
    },
  ];
}
