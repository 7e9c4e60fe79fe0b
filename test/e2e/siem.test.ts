import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { verifyBatchSignature } from '@gatehouse/audit';
import { waitUntil } from '@gatehouse/testkit/processes';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayRequest } from '../security/support.js';
import { AGENT_ID, PEOPLE, type Stack, startStack } from '../stack/index.js';

const SCHEMA_FILE = join(import.meta.dirname, '../../packages/audit/src/k8s-audit/audit-event.schema.json');

interface ExportedEvent {
  readonly verb: string;
  readonly stage: string;
  readonly user: { readonly username: string };
  readonly sourceIPs?: readonly string[];
  readonly userAgent?: string;
  readonly objectRef?: Record<string, string>;
  readonly responseStatus?: { readonly code: number };
  readonly annotations: Record<string, string>;
}

/**
 * What a SIEM gets from `gatehouse-audit export --format k8s-audit` after real kubectl runs through
 * the gateway and slackbot processes: Kubernetes audit Events it already parses.
 */
describe('feeding a SIEM', () => {
  let stack: Stack;
  let approvalId = '';
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('exports an allowed get and an approved delete as audit.k8s.io/v1 Events', async () => {
    expect((await stack.kubectl(['get', 'pods', '-n', 'payments-staging']).result()).code).toBe(0);
    const kubectl = stack.kubectl(['delete', 'namespace', 'payments-staging']);
    const [message] = await stack.waitForMessages(1);
    approvalId = String(message!.metadata?.event_payload.approval_id);
    expect((await stack.click(PEOPLE.bob, message!, 'Approve')).status).toBe(200);
    expect((await kubectl.result()).code).toBe(0);

    const exported = await stack.audit(['export', '--format', 'k8s-audit', '--since', '1h']);
    expect(exported.stderr).toBe('');
    expect(exported.code).toBe(0);
    const events = exported.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as ExportedEvent);
    const validate = new Ajv({ allErrors: true }).compile(JSON.parse(await readFile(SCHEMA_FILE, 'utf8')));
    for (const event of events) expect(validate(event) ? [] : validate.errors).toEqual([]);

    const list = events.find((event) => event.verb === 'list' && event.objectRef?.resource === 'pods');
    expect(list).toMatchObject({
      stage: 'ResponseComplete',
      user: { username: AGENT_ID },
      sourceIPs: ['127.0.0.1'],
      objectRef: { resource: 'pods', namespace: 'payments-staging', apiVersion: 'v1' },
      responseStatus: { code: 200 },
      annotations: { 'gatehouse.dev/decision': 'allow' },
    });
    expect(list?.userAgent).toMatch(/^kubectl\//);
    const deleted = events.filter((event) => event.annotations['gatehouse.dev/approval-id'] === approvalId);
    expect(deleted).toHaveLength(1);
    expect(deleted[0]).toMatchObject({
      verb: 'delete',
      stage: 'ResponseComplete',
      objectRef: { resource: 'namespaces', name: 'payments-staging' },
      responseStatus: { code: 200 },
      annotations: { 'gatehouse.dev/decision': 'require', 'gatehouse.dev/approved-by': 'bob (U0BOB)' },
    });
  });

  it('points each Event at its request in the hash chain', async () => {
    const [exported, stored] = await Promise.all([
      stack.audit(['export', '--format', 'k8s-audit', '--since', '1h']),
      stack.audit(['export', '--since', '1h']),
    ]);
    const chain = new Map(
      stored.stdout
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as { seq: number; hash: string; type: string })
        .map((event) => [String(event.seq), event]),
    );
    const events = exported.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as ExportedEvent);
    expect(events.length).toBeGreaterThan(1);
    for (const event of events) {
      const linked = chain.get(event.annotations['gatehouse.dev/chain-seq'] ?? '');
      expect(linked).toMatchObject({
        type: 'request.received',
        hash: event.annotations['gatehouse.dev/chain-hash'],
      });
    }
    expect((await stack.audit(['verify'])).code).toBe(0);
  });
});

describe('a webhook sink from the running gateway and slackbot', () => {
  const key = 'siem-signing-key-e2e';
  const posts: { body: string; signed: boolean }[] = [];
  const collector = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    const signature = req.headers['gatehouse-signature'] as string | undefined;
    posts.push({ body, signed: verifyBatchSignature(key, signature, body, Math.floor(Date.now() / 1000)) });
    res.writeHead(200).end();
  });
  let stack: Stack;
  beforeAll(async () => {
    collector.listen(0, '127.0.0.1');
    await once(collector, 'listening');
    const url = `http://127.0.0.1:${(collector.address() as AddressInfo).port}/audit`;
    stack = await startStack({
      env: { SIEM_KEY: key },
      audit: {
        sinks: [
          { type: 'redis' },
          {
            type: 'webhook',
            name: 'siem',
            url,
            format: 'k8s-audit',
            hmacSecretEnv: 'SIEM_KEY',
            flushInterval: '100ms',
          },
        ],
      },
    });
  });
  afterAll(async () => {
    await stack?.stop();
    collector.close();
  });

  it('POSTs signed EventLists as kubectl runs, and the backlog metric comes back to 0', async () => {
    expect((await stack.kubectl(['get', 'pods', '-n', 'payments-staging']).result()).code).toBe(0);
    const items = await waitUntil('the list in an EventList', () => {
      const all = posts.flatMap((post) => (JSON.parse(post.body) as { items: ExportedEvent[] }).items);
      return all.some((item) => item.verb === 'list') && all;
    });
    expect(items.find((item) => item.verb === 'list')).toMatchObject({
      user: { username: AGENT_ID },
      objectRef: { resource: 'pods', namespace: 'payments-staging' },
      responseStatus: { code: 200 },
    });
    expect(posts.every((post) => post.signed)).toBe(true);
    await waitUntil('an empty backlog', async () => {
      const metrics = await gatewayRequest(stack, { method: 'GET', path: '/metrics', token: undefined });
      return /^gatehouse_audit_sink_backlog_events\{sink="siem"\} 0$/m.test(metrics.body);
    });
  });
});
