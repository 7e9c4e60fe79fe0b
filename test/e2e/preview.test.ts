import { deployment } from '@gatehouse/testkit/kube-upstream';
import type { FakeMessage } from '@gatehouse/testkit/slack-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PEOPLE, type Stack, startStack } from '../stack/index.js';
import { visibleText } from '../stack/slack-clicks.js';

const SECRET_TEXT = 'tr0ub4dor-payments-db';
const SECRET_DATA = Buffer.from(SECRET_TEXT).toString('base64');

/** What a person saw first: the message as posted, before any chat.update. */
const firstVersion = (message: FakeMessage) => visibleText(message.history[0]?.blocks ?? message.blocks);

/**
 * The blast radius in the approval message, as approvers see it: the gateway and the slackbot as
 * separate processes, the real kubectl, and the Slack fake's copy of every version of the message.
 */
describe('the blast radius in the approval message', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ gateway: { previewTimeout: '5s' } });
    const { store } = stack.upstream;
    for (const name of ['api', 'ledger', 'worker'])
      store.put(deployment({ name, namespace: 'payments-staging' }));
    for (const [name, size] of [
      ['ledger-data', '15Gi'],
      ['worker-data', '5Gi'],
    ] as const) {
      store.put({
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name, namespace: 'payments-staging' },
        spec: { resources: { requests: { storage: size } } },
      });
    }
    for (const name of ['db', 'stripe', 'tls', 'webhook']) {
      store.put({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name, namespace: 'payments-staging' },
        data: { password: SECRET_DATA },
      });
    }
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('kubectl delete namespace: the message comes to show the counts and the dry run', async () => {
    const kubectl = stack.kubectl(['delete', 'namespace', 'payments-staging']);
    const [message] = await stack.waitForMessages(1);
    await stack.slack.waitFor('the blast radius in the message', () =>
      visibleText(stack.message(message!.ts).blocks).includes('Blast radius'),
    );
    const shown = visibleText(stack.message(message!.ts).blocks);
    expect(shown).toMatch(
      /Blast radius:\* Would delete namespace payments-staging \(age \d+s\) with 3 deployments, 1 pod \(1 running\), 2 PVCs \(20Gi\), 4 secrets; dry run: would succeed/,
    );
    expect(kubectl.running()).toBe(true);

    const id = String(message!.metadata?.event_payload.approval_id);
    await stack.deny(PEOPLE.dave, message!, 'not during the freeze');
    expect((await kubectl.result()).code).not.toBe(0);
    const story = await stack.audit(['show', id]);
    expect(story.stdout).toContain('Would delete namespace payments-staging');
    expect(story.stdout).toContain('4 secrets; dry run: would succeed');

    // Counts only: a Secret's contents reach neither Slack, nor the audit log, nor Redis.
    const slackText = stack
      .approvalMessages()
      .flatMap((m) => [JSON.stringify(m.blocks), JSON.stringify(m.history)])
      .join('\n');
    const audit = (await stack.audit(['tail', '-n', '1000', '--json'])).stdout;
    const redis = await everythingInRedis(stack);
    for (const place of [slackText, audit, redis]) {
      expect(place).not.toContain(SECRET_DATA);
      expect(place).not.toContain(SECRET_TEXT);
    }
    expect(redis).toContain('4 secrets');
    expect(audit).toContain('"type":"approval.preview"');
  });

  it('a cluster that does not answer the preview: the message is posted first, then says "preview unavailable"', async () => {
    const release = stack.upstream.intercept(
      { headers: { 'user-agent': 'gatehouse-gateway/preview' } },
      { hang: true },
    );
    try {
      const before = stack.approvalMessages().length;
      const kubectl = stack.kubectl(['delete', 'namespace', 'payments-staging']);
      const message = (await stack.waitForMessages(before + 1))[before]!;
      await stack.slack.waitFor('preview unavailable in the message', () =>
        visibleText(stack.message(message.ts).blocks).includes('preview unavailable'),
      );
      // Posted without the preview, updated once it gave up: the message never waited for the cluster.
      expect(firstVersion(stack.message(message.ts))).toContain('kubectl delete namespace payments-staging');
      expect(firstVersion(stack.message(message.ts))).not.toContain('Blast radius');
      expect(visibleText(stack.message(message.ts).blocks)).toContain(
        'Blast radius:* preview unavailable: cluster payments did not answer within 5s',
      );
      expect(kubectl.running()).toBe(true);
      await stack.deny(PEOPLE.dave, message, 'cannot see what it deletes');
      expect((await kubectl.result()).code).not.toBe(0);
    } finally {
      release();
    }
  });
});

/** Every value stored under the stack's prefix (approvals, audit stream, BullMQ job data). */
async function everythingInRedis(stack: Stack): Promise<string> {
  const { redis, prefix } = stack.redis;
  const values: string[] = [];
  for (const pattern of [`${prefix}*`, `bull:${prefix}*`]) {
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
