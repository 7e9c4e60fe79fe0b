import { namespace } from '@gatehouse/testkit/kube-upstream';
import { waitUntil } from '@gatehouse/testkit/processes';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PEOPLE, type Stack, startStack } from '../stack/index.js';
import { approvalIdOf, auditEvents, isRealMutation, report, storedApproval } from './support.js';

/**
 * kill -9 in the middle of the work: the gateway holding a request, the slackbot before and
 * while it posts. The invariants: nothing reaches the cluster without a live requester, an
 * approval is used once, and every request gets exactly one Slack message.
 */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('security: crashes of the gateway and the slackbot', () => {
  let stack: Stack;
  /** Real deletes: the gateway's blast-radius preview may send dry runs before any approval. */
  const deletes = (name: string) =>
    stack.upstream.received({ method: 'DELETE', path: `/api/v1/namespaces/${name}` }).filter(isRealMutation)
      .length;

  beforeAll(async () => {
    stack = await startStack();
  });
  beforeEach(async () => {
    await stack.ensureRunning();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('kill -9 the gateway while it holds a request, approve, restart: nothing sent; the retry passes once by grant', async () => {
    stack.upstream.store.put(namespace('crash-gw'));
    const before = stack.approvalMessages().length;
    const first = stack.kubectl(['delete', 'namespace', 'crash-gw']);
    const [message] = (await stack.waitForMessages(before + 1)).slice(before);
    const id = approvalIdOf(message!);

    await stack.kill('gateway');
    const orphaned = await first.result();
    expect(orphaned.code).not.toBe(0);
    expect((await stack.click(PEOPLE.bob, message!, 'Approve')).status).toBe(200);
    await waitUntil('the approval', async () => (await storedApproval(stack, id)).state === 'approved');
    await stack.start('gateway');
    // Give a restarted gateway every chance to (wrongly) dispatch the orphaned approval.
    await sleep(1500);
    const sentWithoutRequester = deletes('crash-gw');
    expect((await storedApproval(stack, id)).state).toBe('approved');

    const retry = await stack.kubectl(['delete', 'namespace', 'crash-gw']).result();
    expect(retry.code).toBe(0);
    const afterRetry = deletes('crash-gw');
    // A second retry finds no grant: the approval was used; it is a new request, held again.
    stack.upstream.store.put(namespace('crash-gw'));
    const again = stack.kubectl(['delete', 'namespace', 'crash-gw']);
    await stack.waitForMessages(before + 2);
    expect(again.running()).toBe(true);
    again.kill();
    const events = (await auditEvents(stack)).filter((e) => e.approvalId === id);
    report(
      'gateway kill -9 while holding',
      sentWithoutRequester,
      1,
      'dispatched without a live requester',
      `retry via grant: ${afterRetry} upstream DELETE; second retry held as a new request`,
    );
    expect(sentWithoutRequester).toBe(0);
    expect(afterRetry).toBe(1);
    expect(deletes('crash-gw')).toBe(1);
    expect(events.filter((e) => e.type === 'grant.used')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'dispatch')).toHaveLength(1);
  });

  it('the slackbot dead when a request arrives: posted once after restart, and the approval works', async () => {
    stack.upstream.store.put(namespace('crash-bot-down'));
    await stack.kill('slackbot');
    const before = stack.approvalMessages().length;
    const kubectl = stack.kubectl(['delete', 'namespace', 'crash-bot-down']);
    await sleep(1000);
    expect(stack.approvalMessages()).toHaveLength(before);
    await stack.start('slackbot');
    const [message] = (await stack.waitForMessages(before + 1)).slice(before);
    expect((await stack.click(PEOPLE.dave, message!, 'Approve')).status).toBe(200);
    expect((await kubectl.result()).code).toBe(0);
    await sleep(500);
    const posted = stack.approvalMessages().length - before;
    report('slackbot down when a request arrives', posted, 1, 'message(s) posted after restart');
    expect(posted).toBe(1);
    expect(deletes('crash-bot-down')).toBe(1);
  });

  it('kill -9 the slackbot while Slack is taking its post: exactly one message after restart', async () => {
    stack.upstream.store.put(namespace('crash-bot-posting'));
    const before = stack.approvalMessages().length;
    // Slack takes the post but answers slowly: the bot dies before it learns the message's ts.
    stack.slack.failNext('chat.postMessage', { kind: 'slow', delayMs: 1500 });
    const kubectl = stack.kubectl(['delete', 'namespace', 'crash-bot-posting'], 150_000);
    // The post job marks itself "posting" (its BullMQ progress) right before calling chat.postMessage.
    const postingJob = await waitUntil(
      'the post job to be posting',
      async () => {
        const pending = await stack.redis.redis.zrange(stack.redis.key('pending'), '0', '-1');
        for (const member of pending) {
          const job = `bull:${stack.redis.prefix}-approvals:${member.slice(member.indexOf(':') + 1)}`;
          if ((await stack.redis.redis.hget(job, 'progress'))?.includes('posting')) return job;
        }
        return undefined;
      },
      15_000,
    );
    expect(postingJob).toBeTruthy();
    await sleep(300);
    await stack.kill('slackbot');
    await stack.start('slackbot');
    await stack.slack.waitFor('the message', () => stack.approvalMessages().length > before, 10_000);
    const [message] = stack.approvalMessages().slice(before);
    const id = approvalIdOf(message!);
    // Slack got the post, the bot never saved its ts: the retried job must adopt it, not post again.
    // BullMQ hands the dead worker's job on once its lock lapses (the slackbot's workers: 10 s, checked every 5 s).
    await waitUntil(
      'the retried post job to save the message ref',
      async () => (await storedApproval(stack, id)).raw.slackTs !== undefined,
      80_000,
    );
    expect((await storedApproval(stack, id)).raw.slackTs).toBe(message!.ts);
    expect((await stack.click(PEOPLE.bob, message!, 'Approve')).status).toBe(200);
    expect((await kubectl.result()).code).toBe(0);
    await stack.slack.waitFor('the message to show the outcome', () =>
      /approved/i.test(JSON.stringify(stack.message(message!.ts).blocks)),
    );
    const posted = stack.approvalMessages().length - before;
    report('slackbot kill -9 mid-post', posted, 1, 'message(s) after restart');
    expect(posted).toBe(1);
    expect(deletes('crash-bot-posting')).toBe(1);
  }, 120_000);
});
