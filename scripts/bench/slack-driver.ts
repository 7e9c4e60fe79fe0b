import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  blockActionsPayload,
  type FakeMessage,
  interactiveBody,
  signedHeaders,
  slashCommandBody,
} from '@gatehouse/testkit/slack-api';
import { findButton } from '../../test/stack/slack-clicks.js';
import type { Helper } from './processes.js';
import { APPROVER, APPROVER_CHANNEL, type BenchStack } from './stack.js';
import { monotonicMs } from './stats.js';

/** Signs and sends what Slack would send the slackbot: an Approve click, a slash command. */

/**
 * Sends from a load process (`from`, the stack's unless another is idle), not from this one, which
 * also serves the Slack API fake the slackbot is calling; returns the send time (monotonic ms).
 */
async function post(stack: BenchStack, body: string, from: Helper = stack.load): Promise<number> {
  const { sentAtMs, status } = await from.ask<{ type: 'posted'; sentAtMs: number; status: number }>(
    {
      cmd: 'post',
      url: stack.botUrl,
      headers: signedHeaders(body, { signingSecret: stack.signingSecret }),
      body,
    },
    'posted',
  );
  if (status !== 200) throw new Error(`the slackbot answered ${status}`);
  return sentAtMs;
}

/** Clicks Approve on a posted message as the approver; resolves with the send time (monotonic ms). */
export async function clickApprove(
  stack: BenchStack,
  shown: FakeMessage,
  from: Helper = stack.load,
): Promise<number> {
  const current = stack.slack.message(APPROVER_CHANNEL, shown.ts) ?? shown;
  const button = findButton(current, 'Approve');
  if (!button) throw new Error(`the message ${shown.ts} shows no Approve button`);
  const body = interactiveBody(
    blockActionsPayload({
      user: APPROVER,
      channel: APPROVER_CHANNEL,
      messageTs: shown.ts,
      actionId: button.actionId,
      blockId: button.blockId,
      value: button.value,
      responseUrl: stack.slack.responseUrl(),
      message: { type: 'message', ts: shown.ts, blocks: current.blocks },
    }),
  );
  return post(stack, body, from);
}

/**
 * A response_url of our own, so the moment the slackbot answers a slash command is timed here
 * rather than by polling the Slack fake.
 */
export interface ResponseSink {
  readonly url: string;
  /** Resolves with the arrival time (monotonic ms) and body of the next response. */
  next(): Promise<{ atMs: number; body: string }>;
  close(): Promise<void>;
}

export async function startResponseSink(): Promise<ResponseSink> {
  const waiting: ((value: { atMs: number; body: string }) => void)[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const atMs = monotonicMs();
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      waiting.shift()?.({ atMs, body: Buffer.concat(chunks).toString('utf8') });
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/response`,
    next: () => new Promise((resolve) => waiting.push(resolve)),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** `/gatehouse pending`: milliseconds from sending the command to the answer at the response_url. */
export async function timePending(
  stack: BenchStack,
  sink: ResponseSink,
): Promise<{ ms: number; body: string }> {
  const body = slashCommandBody({
    command: '/gatehouse',
    text: 'pending',
    user: APPROVER,
    channel: APPROVER_CHANNEL,
    responseUrl: sink.url,
  });
  const answered = sink.next();
  const sentAt = await post(stack, body);
  const { atMs, body: answer } = await answered;
  return { ms: atMs - sentAt, body: answer };
}
