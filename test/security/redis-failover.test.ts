import { namespace } from '@gatehouse/testkit/kube-upstream';
import { type BackgroundKubectl, stopAllProcesses, waitUntil } from '@gatehouse/testkit/processes';
import { type SentinelGroup, startRedisProcess, startSentinelGroup } from '@gatehouse/testkit/redis';
import type { FakeMessage } from '@gatehouse/testkit/slack-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PEOPLE, type Stack, startStack } from '../stack/index.js';
import { approvalIdOf, isRealMutation, report, storedApproval } from './support.js';

/**
 * The primary Redis dies (kill -9) while requests are held, votes are being cast and dispatches
 * have been made; Sentinel promotes the replica. Real redis-server and sentinel processes of the
 * test's own on loopback ports (a primary, a replica, three sentinels), the gateway and the slackbot
 * finding the primary through the sentinels, and the real kubectl. Every must-survive write was
 * confirmed by the replica (WAIT) before it was acted on, so the promoted replica knows it.
 */

const COUNT = 4;
/** Two approvals per delete: a vote can be on record while its approval is still pending. */
const POLICY = {
  default: 'allow',
  rules: [
    {
      name: 'namespace-delete',
      match: { verbs: ['delete'], resources: ['namespaces'] },
      require: { group: 'sre-oncall', approvals: 2 },
    },
  ],
};

describe('security: a Redis failover (Sentinel) while requests, votes and dispatches are in flight', () => {
  let group: SentinelGroup;
  let stack: Stack;

  beforeAll(async () => {
    group = await startSentinelGroup({ downAfterMs: 1000 });
    stack = await startStack({
      redisUrl: group.primary.url,
      redisSentinel: { sentinels: group.sentinelAddresses, name: group.name },
      policy: POLICY,
    });
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
    await stopAllProcesses();
  });

  /** The bot's reply to `person`'s click on the approval `id`, once it came. */
  const replyTo = (id: string, before: number) =>
    waitUntil(
      `the bot's answer to the click on ${id}`,
      () =>
        stack
          .ephemeralReplies()
          .slice(before)
          .find((reply) => reply.includes(id)),
      30_000,
    );
  /** Clicks Approve and returns whether the bot told the clicker the vote counted. */
  const approve = async (
    person: (typeof PEOPLE)[keyof typeof PEOPLE],
    message: FakeMessage,
  ): Promise<boolean> => {
    const before = stack.ephemeralReplies().length;
    expect((await stack.click(person, message, 'Approve')).status).toBe(200);
    return counted(await replyTo(approvalIdOf(message), before));
  };
  const counted = (reply: string) => reply.includes('is recorded') || reply.includes('You approved');

  it('keeps pending approvals and acknowledged votes, sends each approved request once, keeps the chain', async () => {
    const names = Array.from({ length: COUNT }, (_, i) => `failover-${i}`);
    for (const name of names) stack.upstream.store.put(namespace(name));
    const held: BackgroundKubectl[] = names.map((name) => stack.kubectl(['delete', 'namespace', name]));
    const messages = await stack.waitForMessages(COUNT);
    // Messages come in any order; the stored command names the namespace.
    const byName = new Map<string, FakeMessage>();
    for (const posted of messages) {
      const { raw } = await storedApproval(stack, approvalIdOf(posted));
      byName.set(raw.command?.match(/failover-\d/)?.[0] ?? '', posted);
    }
    const message = (i: number) => byName.get(names[i]!) ?? expect.fail(`no message for ${names[i]}`);
    const ids = names.map((_, i) => approvalIdOf(message(i)));

    // Before the kill: failover-0 approved and sent; a first vote on failover-1 acknowledged.
    const acknowledged: { id: string; userId: string }[] = [];
    for (const person of [PEOPLE.bob, PEOPLE.dave]) {
      if (await approve(person, message(0))) acknowledged.push({ id: ids[0]!, userId: person.id });
    }
    expect((await held[0]!.result()).code).toBe(0);
    if (await approve(PEOPLE.bob, message(1))) acknowledged.push({ id: ids[1]!, userId: PEOPLE.bob.id });

    // The kill: bob's vote on failover-2 is being cast as the primary dies (the bot acks a click first
    // and votes after).
    const before = stack.ephemeralReplies().length;
    const click = await stack.click(PEOPLE.bob, message(2), 'Approve');
    await group.primary.crash();
    // 200: Slack's click is taken (the vote is then cast, or fails, in the background). Anything else:
    // the bot's request guard could not reach Redis, and Slack would send the click again.
    const clickTaken = click.status === 200;
    const promoted = await group.promotedFrom(group.primary.port);
    // The crashed node comes back empty where it was; the sentinels make it the new primary's replica,
    // so must-survive writes can be confirmed again.
    await startRedisProcess([], { port: group.primary.port });
    await waitUntil(
      'the promoted primary to have its replica in sync',
      async () => /^slave0:.*state=online/m.test(await stack.redis.redis.info('replication')),
      30_000,
    );
    if (clickTaken && counted(await replyTo(ids[2]!, before))) {
      acknowledged.push({ id: ids[2]!, userId: PEOPLE.bob.id });
    }

    const survived = (await Promise.all(ids.slice(1).map((id) => storedApproval(stack, id)))).filter(
      (approval) => approval.state === 'pending',
    ).length;
    const kept = (
      await Promise.all(
        acknowledged.map(async ({ id, userId }) =>
          (await storedApproval(stack, id)).votes.some((vote) => vote.userId === userId),
        ),
      )
    ).filter(Boolean).length;

    // After the promotion: the rest is approved (bob again where his vote was not acknowledged).
    for (const i of [1, 2, 3]) {
      const voters = (await storedApproval(stack, ids[i]!)).votes.map((vote) => vote.userId);
      for (const person of [PEOPLE.bob, PEOPLE.dave]) {
        if (!voters.includes(person.id)) await approve(person, message(i));
      }
    }
    const results = await Promise.all(held.map((kubectl) => kubectl.result()));
    const heldThrough = results.filter((result) => result.code === 0).length;
    // A kubectl the failover cut off retries: the approval is its grant.
    for (const [i, result] of results.entries()) {
      if (result.code !== 0) {
        expect((await stack.kubectl(['delete', 'namespace', names[i]!]).result()).code).toBe(0);
      }
    }
    const sent = names.map(
      (name) =>
        stack.upstream
          .received({ method: 'DELETE', path: `/api/v1/namespaces/${name}` })
          .filter(isRealMutation).length,
    );
    const verify = await stack.audit(['verify']);
    const posted = stack.approvalMessages().map(approvalIdOf);

    report(
      'redis failover (kill -9 of the primary, Sentinel promotes the replica)',
      survived,
      COUNT - 1,
      'pending approvals survived',
      `${kept}/${acknowledged.length} acknowledged votes kept; ` +
        `${sent.filter((n) => n === 1).length}/${COUNT} approved requests sent exactly once; ` +
        `${heldThrough} kubectl held through it; ${posted.length} Slack messages for ${COUNT} approvals; ` +
        `the click at the kill: ${clickTaken ? 'taken' : `answered ${click.status}`}; ` +
        `audit verify: ${verify.code === 0 ? 'intact' : 'BROKEN'}; promoted :${promoted}`,
    );
    expect(survived).toBe(COUNT - 1);
    expect(kept).toBe(acknowledged.length);
    expect(acknowledged.length).toBeGreaterThanOrEqual(3);
    expect(sent).toEqual(names.map(() => 1));
    expect(verify).toMatchObject({ code: 0, stdout: expect.stringContaining('audit log intact') });
    expect(posted.sort()).toEqual([...ids].sort());
  }, 180_000);
});
