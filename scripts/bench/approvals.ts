import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FakeMessage } from '@gatehouse/testkit/slack-api';
import type { Helper } from './processes.js';
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

/** Paths of `count` deletes the bench policy holds (payments-prod-delete), named after `label`. */
export function heldDeletePaths(label: string, count: number): string[] {
  return Array.from(
    { length: count },
    (_, i) => `/clusters/${CLUSTER}/api/v1/namespaces/payments-prod/pods/approve-${label}-${i}`,
  );
}

/** Sends the deletes from `client` and resolves with their Slack messages once all are posted. */
export async function holdDeletes(
  stack: BenchStack,
  paths: readonly string[],
  client: Helper = stack.load,
): Promise<FakeMessage[]> {
  const postedBefore = stack.slack.messages(APPROVER_CHANNEL).length;
  await client.ask(
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
    `${paths.length} approval messages`,
    () => stack.slack.messages(APPROVER_CHANNEL).length >= postedBefore + paths.length,
    120_000,
  );
  return stack.slack.messages(APPROVER_CHANNEL).slice(postedBefore);
}

/** One Approve click: when it was sent and when its held request arrived at the upstream (monotonic ms). */
export interface Click {
  readonly path: string;
  readonly sentAtMs: number;
  readonly arrivedAtMs: number;
}

export const clickLatencyMs = (click: Click) => click.arrivedAtMs - click.sentAtMs;

/** Clicks Approve on each message from `client`, one after another, `gapMs` after the last arrival. */
export async function approveEach(
  stack: BenchStack,
  messages: readonly FakeMessage[],
  paths: readonly string[],
  options: { gapMs: number; client?: Helper },
): Promise<Click[]> {
  const expected = new Set(paths.map((path) => path.replace(`/clusters/${CLUSTER}`, '')));
  const clicks: Click[] = [];
  for (const message of messages) {
    const arrival = stack.upstream.next<Arrival>('arrival', 10_000);
    const sentAtMs = await clickApprove(stack, message, options.client);
    const { path, arrivedNs } = await arrival;
    if (!expected.delete(path)) throw new Error(`the upstream received an unexpected or repeated ${path}`);
    clicks.push({ path, sentAtMs, arrivedAtMs: Number(BigInt(arrivedNs)) / 1e6 });
    // People click seconds apart: let the previous decision's follow-up work (message refresh, the
    // owners' notice) finish, so each click measures the path rather than a queue behind the last.
    await sleep(options.gapMs);
  }
  return clicks;
}

/** With BENCH_KEEP, each click's send and arrival on the wall clock, to line up with the apps' logs. */
export async function keepClicks(stack: BenchStack, file: string, clicks: readonly Click[]): Promise<void> {
  if (!process.env.BENCH_KEEP) return;
  const toEpoch = Date.now() - monotonicMs();
  const timeline = clicks.map(({ path, sentAtMs, arrivedAtMs }) => ({
    path,
    sentEpochMs: sentAtMs + toEpoch,
    arrivedEpochMs: arrivedAtMs + toEpoch,
  }));
  await writeFile(join(stack.dir, file), JSON.stringify(timeline));
}

/** Waits for the held requests' answers at `client`, closes the rest; resolves with how many got 200. */
export async function releaseHeld(stack: BenchStack, client: Helper = stack.load): Promise<number> {
  const { answered } = await client.ask<{ type: 'released'; answered: { status: number }[] }>(
    { cmd: 'release', waitMs: 5000 },
    'released',
  );
  return answered.filter((a) => a.status === 200).length;
}

export async function approvalPath(
  stack: BenchStack,
  options: { count: number; gapMs: number; goal: boolean },
): Promise<Row[]> {
  const paths = heldDeletePaths(String(options.gapMs), options.count);
  const messages = await holdDeletes(stack, paths);
  const clicks = await approveEach(stack, messages, paths, { gapMs: options.gapMs });
  await keepClicks(stack, 'approvals.json', clicks);
  const latenciesMs = clicks.map(clickLatencyMs);
  const ok = await releaseHeld(stack);
  const p99 = percentile(latenciesMs, 99);
  const section = `Approval path (${options.count} approvals, clicked one at a time, ${options.gapMs} ms apart)`;
  return [
    {
      section,
      measure: 'signed Approve click → held request at the upstream',
      value: `p50 ${fixed(percentile(latenciesMs, 50))} ms, p99 ${fixed(p99)} ms, max ${fixed(percentile(latenciesMs, 100))} ms`,
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
