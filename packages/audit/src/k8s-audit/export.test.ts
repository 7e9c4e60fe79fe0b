import { readFile } from 'node:fs/promises';
import { Ajv } from 'ajv';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { type ExitCode, runCli } from '../cli/run.js';
import { createAuditLog } from '../log/index.js';
import type { IsolatedRedis } from '../test-support/redis.js';
import { isolatedRedis, TEST_REDIS_URL } from '../test-support/redis.js';
import { recordApprovedDelete, STORY } from '../test-support/story.js';

const START = Date.UTC(2026, 10, 26, 1, 0, 0);
const SCHEMA = JSON.parse(await readFile(new URL('./audit-event.schema.json', import.meta.url), 'utf8'));
const validate = new Ajv({ allErrors: true, strict: true }).compile(SCHEMA);

/** An exported line as a SIEM parser reads it: plain JSON, checked against the schema. */
type ExportedEvent = Record<string, unknown> & {
  verb?: string;
  stage?: string;
  auditID?: string;
  responseStatus?: { code?: number };
  objectRef?: object;
  annotations: Record<string, string>;
};

let ctx: IsolatedRedis;
beforeEach(async () => {
  ctx = await isolatedRedis();
  let now = START - 1000;
  const audit = createAuditLog({ redis: ctx.redis, prefix: ctx.prefix, clock: () => (now += 1000) });
  await recordApprovedDelete(audit); // seq 1-7
  const allowed = {
    type: 'request.received',
    requestId: 'req-get',
    agent: 'agent-ci',
    cluster: 'payments-staging',
    command: 'kubectl get pods -n web --watch',
    action: {
      kind: 'resource',
      verb: 'watch',
      apiGroup: '',
      apiVersion: 'v1',
      resource: 'pods',
      namespace: 'web',
    },
    decision: { effect: 'allow', rule: 'reads' },
    runAs: { user: 'gatehouse:agent-ci', groups: ['gatehouse:agents'], extra: { team: ['web'] } },
    identity: { method: 'oidc', provider: 'github', subject: 'repo:acme/web:ref:refs/heads/main' },
    request: {
      method: 'GET',
      path: '/api/v1/namespaces/web/pods',
      query: 'watch=true',
      remoteAddress: '127.0.0.1',
      headers: { 'user-agent': 'kubectl/v1.32.0', 'x-forwarded-for': '203.0.113.7, 10.0.0.2' },
    },
  } as const;
  await audit.record(allowed); // 8
  await audit.record({
    type: 'request.received',
    requestId: 'req-exec',
    agent: 'agent-ci',
    cluster: 'payments-staging',
    command: 'kubectl exec web-0 -n web -- sh',
    action: {
      kind: 'resource',
      verb: 'exec',
      apiGroup: '',
      apiVersion: 'v1',
      resource: 'pods',
      subresource: 'exec',
      namespace: 'web',
      name: 'web-0',
    },
    decision: { effect: 'deny', rule: 'no-exec', reason: 'agents never exec' },
    request: {
      method: 'POST',
      path: '/api/v1/namespaces/web/pods/web-0/exec',
      query: 'command=sh',
      headers: {},
    },
  }); // 9
  await audit.record({
    type: 'upstream.response',
    requestId: 'req-get',
    cluster: 'payments-staging',
    status: 200,
    durationMs: 3,
  }); // 10
  await audit.record({
    ...allowed,
    requestId: 'req-held',
    approvalId: 'apv-open',
    command: 'kubectl delete namespace web',
    action: {
      kind: 'resource',
      verb: 'delete',
      apiGroup: '',
      apiVersion: 'v1',
      resource: 'namespaces',
      name: 'web',
    },
    decision: {
      effect: 'require',
      rule: 'ns-delete',
      reason: 'namespace deletes need SRE',
      group: 'sre',
      approvals: 1,
    },
    request: { method: 'DELETE', path: '/api/v1/namespaces/web', query: '', headers: {} },
  }); // 11
  // Allowed requests as the gateway records them now: one event with the cluster's answer.
  await audit.record({ ...allowed, requestId: 'req-one', response: { status: 404, durationMs: 250 } }); // 12
  await audit.record({ ...allowed, requestId: 'req-gone', response: { aborted: true } }); // 13
  await audit.close();
});
afterEach(() => ctx.cleanup());

async function exportK8s(
  since: string,
): Promise<{ code: ExitCode; events: ExportedEvent[]; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(
    [
      'export',
      '--format',
      'k8s-audit',
      '--since',
      since,
      '--redis-url',
      TEST_REDIS_URL,
      '--prefix',
      ctx.prefix,
    ],
    {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
      env: {},
      now: () => START + 60_000,
    },
  );
  return {
    code,
    events: stdout
      .trimEnd()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line)),
    stderr,
  };
}

it('writes one audit.k8s.io/v1 Event per request, each valid against the schema from types.go', async () => {
  const { code, events, stderr } = await exportK8s('2026-11-26T00:00:00Z');
  expect(stderr).toBe('');
  expect(code).toBe(0);
  for (const event of events) expect(validate(event) ? [] : validate.errors).toEqual([]);
  // In the order the answers came: the denied exec at once, the delete when the cluster answered, the
  // watch as its stream started (long-running: the chain does not know when it ended), then the one
  // still held. A refused watch, or one whose agent left, is complete.
  expect(events.map((event) => [event.verb, event.stage, event.responseStatus?.code])).toEqual([
    ['delete', 'ResponseComplete', 200],
    ['create', 'ResponseComplete', 403],
    ['watch', 'ResponseStarted', 200],
    ['watch', 'ResponseComplete', 404],
    ['watch', 'ResponseComplete', 499],
    ['delete', 'RequestReceived', undefined],
  ]);
});

it('carries the approval, the agent, the identity it ran as and the chain position', async () => {
  const { events } = await exportK8s('2026-11-26T00:00:00Z');
  const [approved, denied, watched, one, gone, held] = events as [
    ExportedEvent,
    ExportedEvent,
    ExportedEvent,
    ExportedEvent,
    ExportedEvent,
    ExportedEvent,
  ];
  expect(approved).toMatchObject({
    requestURI: `/apis/apps/v1/namespaces/${STORY.cluster}/deployments/payments`,
    user: { username: STORY.agent },
    userAgent: 'kubectl/v1.32.0',
    objectRef: { resource: 'deployments', namespace: STORY.cluster, name: 'payments' },
    responseStatus: { metadata: {}, status: 'Success', code: 200 },
    requestReceivedTimestamp: '2026-11-26T01:00:00.000000Z',
    stageTimestamp: '2026-11-26T01:00:06.000000Z',
    annotations: {
      'gatehouse.dev/decision': 'require',
      'gatehouse.dev/rule': 'prod-delete',
      'gatehouse.dev/reason': 'deletes in prod need SRE',
      'gatehouse.dev/approval-id': STORY.approvalId,
      'gatehouse.dev/approved-by': 'bob (U0BOB)',
      'gatehouse.dev/chain-seq': '1',
    },
  });
  expect(approved.annotations['gatehouse.dev/chain-hash']).toMatch(/^[0-9a-f]{64}$/);
  expect(JSON.stringify(approved)).not.toContain(STORY.token);
  expect(denied).toMatchObject({
    auditID: 'req-exec',
    requestURI: '/api/v1/namespaces/web/pods/web-0/exec?command=sh',
    objectRef: { resource: 'pods', subresource: 'exec', name: 'web-0' },
    responseStatus: { status: 'Failure', code: 403, reason: 'Forbidden', message: 'agents never exec' },
    annotations: { 'gatehouse.dev/decision': 'deny', 'gatehouse.dev/rule': 'no-exec' },
  });
  expect(watched).toMatchObject({
    auditID: 'req-get',
    requestURI: '/api/v1/namespaces/web/pods?watch=true',
    user: { username: 'agent-ci', extra: { 'gatehouse.dev/oidc-provider': ['github'] } },
    impersonatedUser: {
      username: 'gatehouse:agent-ci',
      groups: ['gatehouse:agents'],
      extra: { team: ['web'] },
    },
    sourceIPs: ['203.0.113.7', '10.0.0.2', '127.0.0.1'],
    objectRef: { resource: 'pods', namespace: 'web', apiVersion: 'v1' },
  });
  expect(watched.objectRef).not.toHaveProperty('apiGroup'); // the core group: omitempty
  // Recorded as the answer started (seq 12, at 01:00:11): received 250 ms before that.
  expect(one).toMatchObject({
    auditID: 'req-one',
    responseStatus: { status: 'Failure', code: 404 },
    requestReceivedTimestamp: '2026-11-26T01:00:10.750000Z',
    stageTimestamp: '2026-11-26T01:00:11.000000Z',
  });
  expect(gone).toMatchObject({
    auditID: 'req-gone',
    responseStatus: { code: 499, reason: 'ClientClosedRequest' },
  });
  expect(held).toMatchObject({
    stage: 'RequestReceived',
    annotations: { 'gatehouse.dev/approval-id': 'apv-open' },
  });
  expect(held).not.toHaveProperty('responseStatus');
});

it('leaves out requests received before --since, though their answer came after', async () => {
  const { events } = await exportK8s('2026-11-26T01:00:07Z');
  expect(events.map((event) => event.auditID)).toEqual([
    'req-exec',
    'req-get',
    'req-one',
    'req-gone',
    'req-held',
  ]);
});

it('the schema refuses what the API reference does not allow', () => {
  const base = {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    auditID: 'a',
    stage: 'ResponseComplete',
    requestURI: '/api',
    verb: 'get',
    user: {},
    requestReceivedTimestamp: '2026-11-26T01:00:00.000000Z',
    stageTimestamp: '2026-11-26T01:00:00.000000Z',
  };
  expect(validate(base)).toBe(true);
  expect(validate({ ...base, stageTimestamp: '2026-11-26T01:00:00.000Z' })).toBe(false);
  expect(validate({ ...base, stage: 'Done' })).toBe(false);
  expect(validate({ ...base, user: { name: 'x' } })).toBe(false);
  expect(validate({ ...base, annotations: { seq: 1 } })).toBe(false);
  const { verb: _verb, ...withoutVerb } = base;
  expect(validate(withoutVerb)).toBe(false);
});

it('names a format it does not know', async () => {
  let stderr = '';
  const code = await runCli(
    ['export', '--format', 'cef', '--since', '1h', '--redis-url', TEST_REDIS_URL, '--prefix', ctx.prefix],
    {
      stdout: { write: () => true },
      stderr: { write: (text: string) => (stderr += text) },
      env: {},
    },
  );
  expect(code).toBe(2);
  expect(stderr).toContain('--format "cef" is not one of gatehouse, k8s-audit');
});
