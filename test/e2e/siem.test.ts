import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
