import type { ApprovalRequest } from '@gatehouse/approvals';
import { deployment, namespace, pod } from '@gatehouse/testkit/kube-upstream';
import { startKubectl, waitUntil } from '@gatehouse/testkit/processes';
import { afterEach, describe, expect, it } from 'vitest';
import { type E2e, startE2e, UPSTREAM_TOKEN } from '../testing/e2e.js';

const SECRET_TEXT = 'correct-horse-battery-staple';
const SECRET_DATA = Buffer.from(SECRET_TEXT).toString('base64');

let env: E2e | undefined;
afterEach(async () => {
  await env?.stop();
  env = undefined;
});

async function start(previewTimeout: string) {
  env = await startE2e({ previewTimeout });
  const { store } = env.upstream;
  store.put(namespace('payments-staging'));
  for (const name of ['api', 'ledger']) store.put(deployment({ name, namespace: 'payments-staging' }));
  for (let i = 0; i < 3; i++) store.put(pod({ name: `api-${i}`, namespace: 'payments-staging' }));
  store.put({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'db', namespace: 'payments-staging' },
    data: { password: SECRET_DATA },
  });
  return env;
}

async function pendingApproval(e: E2e): Promise<ApprovalRequest> {
  const [approval] = await waitUntil('a pending approval', async () => {
    const pending = await e.pending();
    return pending.length > 0 && pending;
  });
  return approval!;
}

/** Every string value under the stack's Redis prefix, BullMQ's queues included. */
async function everythingInRedis(e: E2e): Promise<string> {
  const { redis } = e.redis;
  const values: string[] = [];
  for (const pattern of [`${e.redis.prefix}*`, `bull:${e.redis.prefix}*`]) {
    for (const key of await redis.keys(pattern)) {
      const type = await redis.type(key);
      if (type === 'string') values.push((await redis.get(key)) ?? '');
      if (type === 'hash') values.push(JSON.stringify(await redis.hgetall(key)));
      if (type === 'list') values.push(JSON.stringify(await redis.lrange(key, 0, -1)));
      if (type === 'stream') values.push(JSON.stringify(await redis.xrange(key, '-', '+')));
    }
  }
  return values.join('\n');
}

const realDeletes = (e: E2e) =>
  e.upstream
    .received({ method: 'DELETE', path: '/api/v1/namespaces/payments-staging' })
    .filter((request) => !request.query.has('dryRun'));

describe('the blast radius of a held request', () => {
  it('is read with the cluster credentials, stored on the approval and audited; Secrets stay unread', async () => {
    const e = await start('10s');
    const kubectl = startKubectl(['delete', 'namespace', 'payments-staging'], { kubeconfig: e.kubeconfig });
    const { id } = await pendingApproval(e);
    const approval = await waitUntil('the preview', async () => {
      const current = await e.slackbot.get(id);
      return current?.preview && current;
    });
    expect(approval.preview).toMatchObject({
      status: 'ready',
      summary: expect.stringMatching(
        /^Would delete namespace payments-staging \(age \d+s\) with 2 deployments, 3 pods \(3 running\), 1 secret$/,
      ),
      dryRun: { outcome: 'would-succeed' },
    });
    // The dry run changed nothing and the held request has not gone anywhere.
    expect(e.upstream.store.find('namespaces', undefined, 'payments-staging')).toBeDefined();
    expect(realDeletes(e)).toEqual([]);
    expect(kubectl.running()).toBe(true);
    const previewReads = e.upstream.received({ headers: { 'user-agent': 'gatehouse-gateway/preview' } });
    expect(previewReads.length).toBeGreaterThan(5);
    for (const request of previewReads) {
      expect(request.bearerToken).toBe(UPSTREAM_TOKEN);
      expect(request.method === 'GET' || request.query.get('dryRun') === 'All').toBe(true);
    }

    await waitUntil('the preview audit event', async () =>
      (await e.auditTypes(id)).includes('approval.preview'),
    );
    const audited = (await e.auditEvents()).find((event) => event.type === 'approval.preview');
    expect(audited).toMatchObject({
      approvalId: id,
      status: 'ready',
      summary: `${approval.preview?.status === 'ready' && approval.preview.summary}; dry run: would succeed`,
    });

    await e.slackbot.vote(id, { userId: 'U0BOB', decision: 'approve' });
    expect((await kubectl.result(30_000)).code).toBe(0);
    expect(realDeletes(e)).toHaveLength(1);
    const everything = await everythingInRedis(e);
    expect(everything).toContain('Would delete namespace payments-staging');
    expect(everything).not.toContain(SECRET_DATA);
    expect(everything).not.toContain(SECRET_TEXT);
  });

  it('a cluster that does not answer: the approval and its Slack post never wait; the preview says unavailable', async () => {
    const e = await start('3s');
    e.upstream.intercept({ path: /^\/api\/v1\/namespaces\/payments-staging\/secrets$/ }, { hang: true });
    const kubectl = startKubectl(['delete', 'namespace', 'payments-staging'], { kubeconfig: e.kubeconfig });
    const { id } = await pendingApproval(e);
    // The preview is stuck on a read the cluster never answers...
    await e.upstream.waitFor({ path: '/api/v1/namespaces/payments-staging/secrets' });
    // ...yet the approval is open, its Slack post is queued, and kubectl is held, all without it.
    // BullMQ keeps a job as the hash bull:<queue>:<job id>; the post job's id is the approval id.
    expect(await e.redis.redis.exists(`bull:${e.slackbot.queueNames.approvals}:${id}`)).toBe(1);
    expect((await e.slackbot.get(id))?.preview).toBeUndefined();
    expect(kubectl.running()).toBe(true);

    const approval = await waitUntil('the preview to give up', async () => {
      const current = await e.slackbot.get(id);
      return current?.preview && current;
    });
    expect(approval.preview).toMatchObject({
      status: 'unavailable',
      reason: 'cluster kind did not answer within 3s',
    });
    expect(approval.state).toBe('pending');
    await e.slackbot.vote(id, { userId: 'U0BOB', decision: 'deny', reason: 'not today' });
    expect((await kubectl.result(30_000)).code).not.toBe(0);
    expect(realDeletes(e)).toEqual([]);
  });
});
