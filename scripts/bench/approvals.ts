import type { Row } from './report-types.js';
import { clickApprove } from './slack-driver.js';
import { APPROVER_CHANNEL, type BenchStack, CLUSTER } from './stack.js';
import { fixed, percentile } from './stats.js';

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

export async function approvalPath(stack: BenchStack, options: { count: number }): Promise<Row[]> {
  const postedBefore = stack.slack.messages(APPROVER_CHANNEL).length;
  const paths = Array.from(
    { length: options.count },
    (_, i) => `/clusters/${CLUSTER}/api/v1/namespaces/payments-prod/pods/approve-${i}`,
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
  for (const message of messages) {
    const arrival = stack.upstream.next<Arrival>('arrival', 10_000);
    const sentAt = await clickApprove(stack, message);
    const { path, arrivedNs } = await arrival;
    if (!expected.delete(path)) throw new Error(`the upstream received an unexpected or repeated ${path}`);
    latencies.push(Number(BigInt(arrivedNs)) / 1e6 - sentAt);
  }
  const { answered } = await stack.load.ask<{ type: 'released'; answered: { status: number }[] }>(
    { cmd: 'release', waitMs: 5000 },
    'released',
  );
  const ok = answered.filter((a) => a.status === 200).length;
  const p99 = percentile(latencies, 99);
  const section = `Approval path (${options.count} approvals, clicked one at a time)`;
  return [
    {
      section,
      measure: 'signed Approve click → held request at the upstream',
      value: `p50 ${fixed(percentile(latencies, 50))} ms, p99 ${fixed(p99)} ms, max ${fixed(percentile(latencies, 100))} ms`,
      goal: 'p99 ≤ 50 ms',
      met: p99 <= 50,
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
