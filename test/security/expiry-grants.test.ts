import { namespace } from '@gatehouse/testkit/kube-upstream';
import { waitUntil } from '@gatehouse/testkit/processes';
import { postToSlackApp } from '@gatehouse/testkit/slack-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PEOPLE, type Stack, startStack } from '../stack/index.js';
import { visibleText } from '../stack/slack-clicks.js';
import { approvalIdOf, auditEvents, isRealMutation, report, storedApproval } from './support.js';

/**
 * Time limits and single use: an expired request cannot be approved, and an approval whose
 * requester left is a grant for exactly one retry of exactly that request by exactly that agent.
 */

const OTHER_AGENT = 'agent-batch';
const SRE = Array.from({ length: 5 }, (_, i) => ({ id: `U0EXP${i}`, name: `exp${i}` }));

describe('security: expiry and grants', () => {
  let stack: Stack;
  const realDeletes = (name: string) =>
    stack.upstream.received({ method: 'DELETE', path: `/api/v1/namespaces/${name}` }).filter(isRealMutation)
      .length;
  /** Starts kubectl and waits for the approval message its request opens (or joins: none new). */
  const heldMessage = async (before: number) => (await stack.waitForMessages(before + 1))[before]!;

  beforeAll(async () => {
    stack = await startStack({
      extraAgents: [{ id: OTHER_AGENT, owners: [PEOPLE.alice.id] }],
      extraApprovers: SRE,
      gateway: { requestTtl: '3s', holdTimeout: '3s' },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('an expired request cannot be approved', async () => {
    stack.upstream.store.put(namespace('expiring'));
    const before = stack.approvalMessages().length;
    const kubectl = stack.kubectl(['delete', 'namespace', 'expiring']);
    const message = await heldMessage(before);
    const id = approvalIdOf(message);
    // The buttons vanish once it expires; a stale client (or an attacker) still has their payload.
    const clickers = [PEOPLE.bob, PEOPLE.dave, ...SRE];
    const bodies = clickers.map((person) => stack.clickBody(person, message, 'Approve'));
    const refused = await kubectl.result();
    expect(refused.code).not.toBe(0);
    await waitUntil('the expiry', async () => (await storedApproval(stack, id)).state === 'expired', 10_000);

    const { url, signingSecret } = stack.slackEndpoint;
    for (const body of bodies) expect((await postToSlackApp(url, body, { signingSecret })).status).toBe(200);
    const stored = await storedApproval(stack, id);
    const accepted = (await auditEvents(stack)).filter(
      (e) => e.approvalId === id && e.type === 'vote' && e.outcome === 'accepted',
    );
    // The identical retry finds no grant in an expired request: it is held as a new one.
    const messagesBefore = stack.approvalMessages().length;
    const retry = stack.kubectl(['delete', 'namespace', 'expiring']);
    await heldMessage(messagesBefore);
    expect(retry.running()).toBe(true);
    retry.kill();
    report(
      'approve after expiry',
      stored.votes.length,
      clickers.length,
      'votes counted',
      `state ${stored.state}`,
    );
    expect(stored.votes).toEqual([]);
    expect(accepted).toEqual([]);
    expect(stored.state).toBe('expired');
    expect(realDeletes('expiring')).toBe(0);
    await stack.slack.waitFor('the message to say expired', () =>
      /expired/i.test(visibleText(stack.message(message.ts).blocks)),
    );
  });

  it('a grant passes one retry, of the same request, by the same agent', async () => {
    stack.upstream.store.put(namespace('granted'));
    const before = stack.approvalMessages().length;
    const first = stack.kubectl(['delete', 'namespace', 'granted']);
    const message = await heldMessage(before);
    const id = approvalIdOf(message);
    // The requester leaves; the approval then becomes a grant for its retry.
    first.kill();
    await first.result().catch(() => undefined);
    expect((await stack.click(PEOPLE.bob, message, 'Approve')).status).toBe(200);
    await waitUntil('the approval', async () => (await storedApproval(stack, id)).state === 'approved');

    // Another agent, same command; the same agent, another body: neither may use the grant.
    const strangers = [
      stack.kubectlAs(OTHER_AGENT, ['delete', 'namespace', 'granted']),
      stack.kubectl(['delete', 'namespace', 'granted', '--grace-period=7']),
      stack.kubectl(['delete', 'namespace', 'granted', '--cascade=orphan']),
    ];
    await waitUntil(
      'the three to be held',
      () => stack.approvalMessages().length >= before + 1 + strangers.length,
      15_000,
    );
    const strangersHeld = strangers.filter((k) => k.running()).length;
    for (const k of strangers) k.kill();
    expect(realDeletes('granted')).toBe(0);
    expect((await storedApproval(stack, id)).state).toBe('approved');

    // Five identical retries at once: exactly one passes on the grant, the others are a new request.
    const retries = Array.from({ length: 5 }, () => stack.kubectl(['delete', 'namespace', 'granted']));
    await waitUntil('one retry to finish', () => retries.some((k) => !k.running()), 30_000);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const finished = retries.filter((k) => !k.running());
    for (const k of retries) k.kill();
    const passed = (await Promise.all(finished.map((k) => k.result()))).filter((r) => r.code === 0).length;
    const grantUses = (await auditEvents(stack)).filter(
      (e) => e.type === 'grant.used' && e.approvalId === id,
    );
    report(
      'grant reuse',
      passed,
      retries.length,
      'identical retries passed',
      `${strangers.length - strangersHeld}/${strangers.length} other-agent or other-body attempts passed`,
    );
    expect(strangersHeld).toBe(strangers.length);
    expect(passed).toBe(1);
    expect(grantUses).toHaveLength(1);
    expect(realDeletes('granted')).toBe(1);
  });
});
