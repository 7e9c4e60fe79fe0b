import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Row } from './report-types.js';
import { clickApprove } from './slack-driver.js';
import { APPROVER_CHANNEL, type BenchStack, CLUSTER } from './stack.js';
import { fixed, monotonicMs, percentile } from './stats.js';

/**
 * The approval path: `count` deletes are held on the gateway; once each has its Slack message,
 * Approve is clicked on them one after another, and each latency runs from sending the signed
 * click to the slackbot until the held request arrives at the upstream (stamped there).
 */

interface Arrival {
  type: 'arrival';
  path: string;
  arrivedNs: string;
}

export async function approvalPath(
  stack: BenchStack,
  options: { count: number; gapMs: number; goal: boolean },
): Promise<Row[]> {
  const postedBefore = stack.slack.messages(APPROVER_CHANNEL).length;
  const paths = Array.from(
    { length: options.count },
    (_, i) => `/clusters/${CLUSTER}/api/v1/namespaces/payments-prod/pods/approve-${options.gapMs}-${i}`,
  );
  await stack.load.ask(
    {
      cmd: 'hold',
      origin: stack.gatewayOrigin,
      method: 'DELETE',
      paths,
      headers: stack.agentHeaders,
      batch: 50,
    },
    'hold-sent',
  );
  await stack.slack.waitFor(
    `${options.count} approval messages`,
    () => stack.slack.messages(APPROVER_CHANNEL).length >= postedBefore + options.count,
    120_000,
  );
  const messages = stack.slack.messages(APPROVER_CHANNEL).slice(postedBefore);

  const expected = new Set(paths.map((path) => path.replace(`/clusters/${CLUSTER}`, '')));
  const latencies: number[] = [];
  /** With BENCH_KEEP, each click's send and arrival on the wall clock, to line up with the apps' logs. */
  const timeline: { path: string; sentEpochMs: number; arrivedEpochMs: number }[] = [];
  const toEpoch = Date.now() - monotonicMs();
  for (const message of messages) {
    const arrival = stack.upstream.next<Arrival>('arrival', 10_000);
    const sentAt = await clickApprove(stack, message);
    const { path, arrivedNs } = await arrival;
    if (!expected.delete(path)) throw new Error(`the upstream received an unexpected or repeated ${path}`);
    const arrivedAt = Number(BigInt(arrivedNs)) / 1e6;
    latencies.push(arrivedAt - sentAt);
    timeline.push({ path, sentEpochMs: sentAt + toEpoch, arrivedEpochMs: arrivedAt + toEpoch });
    // People click seconds apart: let the previous decision's follow-up work (message refresh, the
    // owners' notice) finish, so each click measures the path rather than a queue behind the last.
    await sleep(options.gapMs);
  }
  if (process.env.BENCH_KEEP) await writeFile(join(stack.dir, 'approvals.json'), JSON.stringify(timeline));
  const { answered } = await stack.load.ask<{ type: 'released'; answered: { status: number }[] }>(
    { cmd: 'release', waitMs: 5000 },
    'released',
  );
  const ok = answered.filter((a) => a.status === 200).length;
  const p99 = percentile(latencies, 99);
  const section = `Approval path (${options.count} approvals, clicked one at a time, ${options.gapMs} ms apart)`;
  return [
    {
      section,
      measure: 'signed Approve click → held request at the upstream',
      value: `p50 ${fixed(percentile(latencies, 50))} ms, p99 ${fixed(p99)} ms, max ${fixed(percentile(latencies, 100))} ms`,
      goal: options.goal ? 'p99 ≤ 50 ms' : '',
      met: options.goal ? p99 <= 50 : undefined,
    },
    {
      section,
      measure: 'held requests answered 200 to the client',
      value: `${ok} of ${options.count}`,
      goal: `all ${options.count}`,
      met: ok === options.count,
    },
  ];
}
