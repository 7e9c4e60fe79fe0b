import type { FakeMessage } from '@gatehouse/testkit/slack-api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AGENT_ID, PEOPLE, type Stack, startStack } from '../stack/index.js';
import { findButton, visibleText } from '../stack/slack-clicks.js';
import {
  type AuditEvent,
  approvalIdOf,
  auditEvents,
  gatewayRequest,
  report,
  storedApproval,
} from './support.js';

/**
 * Issue 15: one agent's burst of held requests must not flood the approver channel. With
 * slack.coalesceAfter 5, at most 5 of an agent's pending requests have their own message; the rest
 * wait in one burst message per agent, each with "Post for review". No bulk decision exists: each
 * request is still approved or denied on its own message, by its own votes. Driven through the
 * running gateway and slackbot, with signed Slack clicks; counts read from Redis, the audit chain,
 * what the Slack stand-in was sent and what the Kubernetes stand-in received.
 */

const COALESCE_AFTER = 5;
const BURST = 20;
const OTHER_AGENT = 'agent-deploy';
/** Slack polls: the bound on how long the processes may take, not an assertion about it. */
const POLL = { timeout: 60_000, interval: 100 } as const;

describe('security: an agent burst is coalesced in Slack, one decision per request', () => {
  let stack: Stack;
  /** The held requests' answers, settled when the test stops the gateway. */
  const held: Promise<unknown>[] = [];

  beforeAll(async () => {
    stack = await startStack({
      coalesceAfter: COALESCE_AFTER,
      extraAgents: [{ id: OTHER_AGENT, owners: [PEOPLE.alice.id] }],
      gateway: { maxHeldPerAgent: 40 },
    });
  });
  // A process a test restarts is stopped when that test ends (testkit's rule).
  beforeEach(async () => {
    await stack.ensureRunning();
  });
  afterAll(async () => {
    await stack?.stop();
    await Promise.all(held);
  });

  const podPath = (name: string) => `/api/v1/namespaces/prod-eu/pods/${name}`;
  /** `DELETE pod <name> -n prod-eu` as `agent`, held by policy (production-delete-or-exec). */
  const hold = (agent: string, name: string) =>
    held.push(
      gatewayRequest(stack, {
        method: 'DELETE',
        path: `/clusters/${stack.cluster}${podPath(name)}`,
        token: stack.agentTokens[agent],
        holdMs: 110_000,
      }).catch(() => undefined),
    );
  const ownMessages = () =>
    stack.approvalMessages().filter((message) => message.metadata?.event_type === 'gatehouse_approval');
  const burstMessages = () =>
    stack.approvalMessages().filter((message) => message.metadata?.event_type === 'gatehouse_burst');
  const shown = (message: FakeMessage) => visibleText(stack.message(message.ts).blocks);
  const ofType = (events: readonly AuditEvent[], type: string) => events.filter((e) => e.type === type);
  const requestedBy = async (agent: string) =>
    ofType(await auditEvents(stack), 'approval.requested')
      .filter((event) => event.agent === agent)
      .map((event) => String(event.approvalId));
  const burstIds = (message: FakeMessage) =>
    (stack.message(message.ts).blocks as { accessory?: { value?: string } }[]).flatMap((block) =>
      block.accessory?.value ? [block.accessory.value] : [],
    );
  const states = async (ids: readonly string[]) =>
    Promise.all(ids.map(async (id) => (await storedApproval(stack, id)).state));

  let burst: FakeMessage;

  it(`${BURST} held requests of one agent: ${COALESCE_AFTER} own messages and one burst message listing ${BURST - COALESCE_AFTER}`, async () => {
    for (let i = 0; i < BURST; i++) hold(AGENT_ID, `burst-${i}`);
    await expect.poll(async () => (await requestedBy(AGENT_ID)).length, POLL).toBe(BURST);
    await expect
      .poll(async () => ofType(await auditEvents(stack), 'approval.coalesced').length, POLL)
      .toBe(BURST - COALESCE_AFTER);
    await expect.poll(() => ownMessages().length, POLL).toBe(COALESCE_AFTER);
    await expect.poll(() => burstMessages().length, POLL).toBe(1);
    burst = burstMessages()[0]!;
    await expect
      .poll(() => shown(burst), POLL)
      .toContain(`has ${BURST - COALESCE_AFTER} more requests waiting`);

    // Every one of the 20 is either on its own message or listed, never both, never lost.
    const own = ownMessages().map(approvalIdOf);
    const waiting = ofType(await auditEvents(stack), 'approval.coalesced').map((e) => String(e.approvalId));
    expect(new Set([...own, ...waiting])).toEqual(new Set(await requestedBy(AGENT_ID)));
    expect(own.filter((id) => waiting.includes(id))).toEqual([]);
    // The burst message lists the first 10 with their command, cluster, rule and expiry, and no vote.
    expect(burstIds(burst)).toHaveLength(10);
    expect(shown(burst)).toContain('and 5 more');
    expect(shown(burst)).toContain('rule `production-delete-or-exec`');
    expect(shown(burst)).toMatch(/kubectl delete pod burst-\d+ -n prod-eu/);
    expect(findButton(stack.message(burst.ts), 'Approve')).toBeUndefined();
    expect(findButton(stack.message(burst.ts), 'Deny')).toBeUndefined();
    // /gatehouse pending still lists every waiting request.
    const before = stack.ephemeralReplies().length;
    await stack.slash(PEOPLE.bob, 'pending');
    await expect.poll(() => stack.ephemeralReplies().length, POLL).toBeGreaterThan(before);
    expect(stack.ephemeralReplies().at(-1)).toContain(`${BURST} requests waiting for approval`);
    report(
      'burst coalescing',
      ownMessages().length,
      BURST,
      'held requests of one agent posted on their own',
      '1 burst message',
    );
  });

  it("another agent's request still gets its own message", async () => {
    hold(OTHER_AGENT, 'other-0');
    await expect.poll(async () => (await requestedBy(OTHER_AGENT)).length, POLL).toBe(1);
    const [other] = await requestedBy(OTHER_AGENT);
    await expect.poll(() => ownMessages().map(approvalIdOf), POLL).toContain(other);
    expect(burstMessages()).toHaveLength(1);
  });

  it('denying one of the 5 gives its place to the oldest waiting request, also after a slackbot restart', async () => {
    // Nothing of the burst is in the slackbot's memory: kill -9 it mid-burst and start it again.
    await stack.kill('slackbot');
    await stack.start('slackbot');
    const oldestWaiting = burstIds(burst)[0]!;
    const mine = await requestedBy(AGENT_ID);
    const denied = ownMessages().find((message) => mine.includes(approvalIdOf(message)))!;
    await stack.deny(PEOPLE.bob, denied, 'one at a time');
    await expect
      .poll(async () => (await storedApproval(stack, approvalIdOf(denied))).state, POLL)
      .toBe('denied');
    await expect.poll(() => ownMessages().map(approvalIdOf), POLL).toContain(oldestWaiting);
    await expect
      .poll(() => shown(burst), POLL)
      .toContain(`has ${BURST - COALESCE_AFTER - 1} more requests waiting`);
    expect(burstIds(burst)).not.toContain(oldestWaiting);
    const promoted = ofType(await auditEvents(stack), 'approval.promoted');
    expect(promoted.map((e) => [e.approvalId, e.by])).toEqual([[oldestWaiting, undefined]]);
    // The promoted request waits for its own vote like any other.
    expect((await storedApproval(stack, oldestWaiting)).state).toBe('pending');
  });

  let reviewed: string;

  it('"Post for review" by an approver posts that request\'s own message; a non-member\'s click posts nothing', async () => {
    const listed = burstIds(burst);
    const before = ownMessages().length;
    const replies = stack.ephemeralReplies().length;
    expect((await stack.click(PEOPLE.carol, burst, 'Post for review', listed[3])).status).toBe(200);
    await expect.poll(() => stack.ephemeralReplies().length, POLL).toBeGreaterThan(replies);
    expect(stack.ephemeralReplies().at(-1)).toContain('you are not in it');
    expect(ownMessages()).toHaveLength(before);

    reviewed = listed[2]!;
    expect((await stack.click(PEOPLE.bob, burst, 'Post for review', reviewed)).status).toBe(200);
    await expect.poll(() => ownMessages().map(approvalIdOf), POLL).toContain(reviewed);
    expect(ownMessages()).toHaveLength(before + 1);
    await expect.poll(() => burstIds(burst), POLL).not.toContain(reviewed);
    expect(burstIds(burst)).toContain(listed[3]);
    const promoted = ofType(await auditEvents(stack), 'approval.promoted').at(-1)!;
    expect(promoted).toMatchObject({ approvalId: reviewed, by: { id: PEOPLE.bob.id } });
    expect((await storedApproval(stack, reviewed)).state).toBe('pending');
  });

  it('each request still needs its own decision: approving one sends that one only', async () => {
    const ids = await requestedBy(AGENT_ID);
    const message = ownMessages().find((shownMessage) => approvalIdOf(shownMessage) === reviewed)!;
    expect((await stack.click(PEOPLE.bob, message, 'Approve')).status).toBe(200);
    await expect.poll(async () => (await storedApproval(stack, reviewed)).state, POLL).toBe('completed');
    const sent = stack.upstream.received({ method: 'DELETE' }).map((request) => request.path);
    expect(sent.filter((path) => path.startsWith(podPath('burst-')))).toHaveLength(1);
    const others = await states(ids.filter((id) => id !== reviewed));
    expect(others.filter((state) => state === 'pending')).toHaveLength(BURST - 2);
    expect(others.filter((state) => state === 'denied')).toHaveLength(1);
    // Slots were 6 (a person chose one past the limit): its decision leaves 5, so nothing is promoted.
    expect(ofType(await auditEvents(stack), 'approval.promoted')).toHaveLength(2);
  });
});
