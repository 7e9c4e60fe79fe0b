import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WebhookSinkConfig } from '@gatehouse/config';
import { waitUntil } from '@gatehouse/testkit/processes';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createAuditLog } from '../log/index.js';
import type { IsolatedRedis } from '../test-support/redis.js';
import { isolatedRedis } from '../test-support/redis.js';
import { recordApprovedDelete, STORY } from '../test-support/story.js';
import { signBatch, verifyBatchSignature } from './signature.js';

const SECRET = 'webhook-signing-key-test';
const ENV = { WEBHOOK_KEY: SECRET, COLLECTOR_AUTH: 'Splunk collector-token' };

/** What a receiver does with the next POST. */
type Behaviour = 'ok' | 'fail' | 'hang';

interface Received {
  readonly batch: string;
  readonly body: string;
  readonly signed: boolean;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly answered: Behaviour;
}

/**
 * A SIEM collector on loopback: a real HTTP server that answers each POST as scripted. `hang`
 * takes the batch in but answers only after the sender gave up (its answer is lost).
 */
async function startReceiver(script: Behaviour[]) {
  const received: Received[] = [];
  const hanging = new Set<ServerResponse>();
  const server: Server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    const answered = script.shift() ?? 'ok';
    const signature = req.headers['gatehouse-signature'] as string | undefined;
    received.push({
      batch: String(req.headers['gatehouse-batch']),
      body,
      signed: verifyBatchSignature(SECRET, signature, body, Math.floor(Date.now() / 1000)),
      headers: req.headers,
      answered,
    });
    if (answered === 'fail') res.writeHead(503).end('collector overloaded');
    else if (answered === 'ok') res.writeHead(200).end();
    else {
      hanging.add(res);
      res.on('close', () => hanging.delete(res));
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/ingest?token=url-secret`,
    received,
    /** Seqs of the batches the sender saw taken (2xx), in order of arrival. */
    takenSeqs: () =>
      received
        .filter((post) => post.answered === 'ok')
        .flatMap((post) =>
          post.body
            .trimEnd()
            .split('\n')
            .map((line) => (JSON.parse(line) as { seq: number }).seq),
        ),
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      server.close();
    },
  };
}

let ctx: IsolatedRedis;
let receiver: Awaited<ReturnType<typeof startReceiver>> | undefined;
beforeEach(async () => {
  ctx = await isolatedRedis();
});
afterEach(async () => {
  await receiver?.close();
  await ctx.cleanup();
});

function webhook(url: string, overrides: Partial<WebhookSinkConfig> = {}): WebhookSinkConfig {
  return {
    type: 'webhook',
    name: 'siem',
    url,
    format: 'gatehouse',
    headers: { 'x-collector': 'gatehouse' },
    headersFromEnv: { authorization: 'COLLECTOR_AUTH' },
    hmacSecretEnv: 'WEBHOOK_KEY',
    batchSize: 7,
    flushIntervalMs: 20,
    timeoutMs: 300,
    ...overrides,
  };
}

const grants = (from: number, count: number) =>
  Array.from({ length: count }, (_, n) => ({
    type: 'grant.used' as const,
    approvalId: `apv-${from + n}`,
    agent: 'agent-oncall',
  }));

it('delivers every event in order, each seq taken once, through failures, a lost answer, a restart and two replicas', async () => {
  const collector = await startReceiver(['fail', 'fail', 'hang', 'ok', 'fail']);
  receiver = collector;
  const errors: string[] = [];
  const plain = createAuditLog({ redis: ctx.redis, prefix: ctx.prefix });
  await Promise.all(grants(1, 30).map((event) => plain.record(event)));

  const shipping = (sink = webhook(collector.url)) =>
    createAuditLog({
      redis: ctx.redis,
      prefix: ctx.prefix,
      sinks: [{ type: 'redis' }, sink],
      webhookBackoff: { minMs: 10, maxMs: 50 },
      env: ENV,
      onSinkError: (error) => errors.push(String(error)),
    });
  const first = shipping();
  await waitUntil('the collector failing', () => receiver!.received.length >= 2);
  expect((await first.sinkBacklog())[0]?.events).toBeGreaterThan(0);
  await Promise.all(grants(31, 30).map((event) => first.record(event)));
  await waitUntil('60 events taken', () => receiver!.takenSeqs().length >= 60);
  await first.close();

  // Written while nothing ships: the next process resumes from the cursor in Redis.
  await Promise.all(grants(61, 20).map((event) => plain.record(event)));
  const replicas = [shipping(), shipping()];
  await waitUntil('80 events taken', () => receiver!.takenSeqs().length >= 80);
  await waitUntil('the backlog drained', async () => (await replicas[0]!.sinkBacklog())[0]?.events === 0);
  await Promise.all([...replicas.map((log) => log.close()), plain.close()]);

  const seqs = Array.from({ length: 80 }, (_, n) => n + 1);
  expect(receiver.takenSeqs()).toEqual(seqs);
  // Whatever reached the collector, taken or not, is the chain in order once duplicates are dropped by seq.
  const seen = new Set<number>();
  for (const post of receiver.received)
    for (const line of post.body.trimEnd().split('\n')) seen.add((JSON.parse(line) as { seq: number }).seq);
  expect([...seen]).toEqual(seqs);
  // A batch sent again is sent byte for byte, so dropping it by seq loses nothing.
  const byBatch = new Map<string, string>();
  for (const post of receiver.received) {
    expect(byBatch.get(post.batch) ?? post.body).toBe(post.body);
    byBatch.set(post.batch, post.body);
  }
  expect(receiver.received.every((post) => post.signed)).toBe(true);
  expect(receiver.received[0]?.headers).toMatchObject({
    authorization: 'Splunk collector-token',
    'x-collector': 'gatehouse',
    'content-type': 'application/x-ndjson',
  });
  expect(receiver.received.map((post) => post.answered).slice(0, 5)).toEqual([
    'fail',
    'fail',
    'hang',
    'ok',
    'fail',
  ]);
  expect(errors.some((error) => error.includes('answered 503'))).toBe(true);
  expect(errors.some((error) => /batch 1-7: 127\.0\.0\.1:\d+: .*(timeout|aborted)/i.test(error))).toBe(true);
  expect(errors.join('\n')).not.toContain('url-secret');
  expect(errors.join('\n')).not.toContain(SECRET);
});

it('k8s-audit: POSTs EventLists, and a restart while a request waits still sends it with its approval', async () => {
  receiver = await startReceiver([]);
  const sink = webhook(receiver.url, { name: 'k8s', format: 'k8s-audit', batchSize: 2 });
  const shipping = () =>
    createAuditLog({ redis: ctx.redis, prefix: ctx.prefix, sinks: [{ type: 'redis' }, sink], env: ENV });
  const first = shipping();
  let clock = Date.UTC(2026, 10, 26, 1, 0, 0);
  const story = createAuditLog({ redis: ctx.redis, prefix: ctx.prefix, clock: () => (clock += 1000) });
  // The request, its approval, votes and dispatch (seq 1-6): shipped, but no Event yet (not answered).
  const recorded = recordApprovedDelete({
    ...story,
    record: async (event) => {
      const stored = await story.record(event);
      if (event.type === 'dispatch') {
        await waitUntil('the first six shipped', async () => (await first.sinkBacklog())[0]?.events === 0);
        await first.close();
      }
      return stored;
    },
  });
  await recorded;
  const second = shipping();
  await waitUntil('one EventList', () => receiver!.received.length >= 1);
  await waitUntil('the backlog drained', async () => (await second.sinkBacklog())[0]?.events === 0);
  await Promise.all([second.close(), story.close()]);
  expect(receiver.received).toHaveLength(1);
  const list = JSON.parse(receiver.received[0]!.body) as { kind: string; items: Record<string, unknown>[] };
  expect(list).toMatchObject({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1' });
  expect(list.items).toHaveLength(1);
  expect(list.items[0]).toMatchObject({
    verb: 'delete',
    stage: 'ResponseComplete',
    responseStatus: { code: 200 },
    annotations: {
      'gatehouse.dev/approval-id': STORY.approvalId,
      'gatehouse.dev/approved-by': 'bob (U0BOB)',
    },
  });
});

it('refuses to start when a secret it names is not in the environment', () => {
  expect(() =>
    createAuditLog({
      redis: ctx.redis,
      prefix: ctx.prefix,
      sinks: [{ type: 'redis' }, webhook('http://127.0.0.1:9/')],
      env: { WEBHOOK_KEY: SECRET },
    }),
  ).toThrow(
    'audit webhook sink siem: headersFromEnv.authorization names COLLECTOR_AUTH, which is not set in the environment',
  );
});

it('a signature fails for another body, another key or an old time', () => {
  const now = 1_800_000_000;
  const header = signBatch(SECRET, 'body', now);
  expect(verifyBatchSignature(SECRET, header, 'body', now + 10)).toBe(true);
  expect(verifyBatchSignature(SECRET, header, 'bodY', now)).toBe(false);
  expect(verifyBatchSignature('other-key', header, 'body', now)).toBe(false);
  expect(verifyBatchSignature(SECRET, header, 'body', now + 301)).toBe(false);
  expect(verifyBatchSignature(SECRET, undefined, 'body', now)).toBe(false);
});
