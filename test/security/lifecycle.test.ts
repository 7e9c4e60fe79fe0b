import { namespace } from '@gatehouse/testkit/kube-upstream';
import { waitUntil } from '@gatehouse/testkit/processes';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PEOPLE, type Stack, startStack } from '../stack/index.js';
import { visibleText } from '../stack/slack-clicks.js';
import {
  type AuditEvent,
  approvalIdOf,
  auditEvents,
  heldKubectl,
  isRealMutation,
  report,
  storedApproval,
} from './support.js';

/**
 * Issue 14, its six problems, through the running gateway and slackbot with the real kubectl: one
 * approval lifecycle, one truth. What Redis holds, what the audit chain tells (`gatehouse-audit
 * show`), the Slack message, the owner's DM and the approver's reply say the same thing, an
 * expiry is recorded with no slackbot, and a broken chain is said out loud.
 */

/** Short enough to watch a request expire and a grant lapse; the hold lasts as long as the request. */
const REQUEST_TTL_S = 15;
const GRANT_TTL_S = 4;
/** Words that say the request reached the cluster (not "not sent", "never sent", "never ran"). */
const SAYS_SENT = /(?<!not |never |nothing was )\bsent\b|\banswered\b|(?<!never )\bran\b/;

describe('security: one approval lifecycle, one truth (issue 14)', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({
      gateway: {
        requestTtl: `${REQUEST_TTL_S}s`,
        holdTimeout: `${REQUEST_TTL_S}s`,
        grantTtl: `${GRANT_TTL_S}s`,
      },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });
  // Problem 2 stops the slackbot; every other test needs both processes.
  beforeEach(async () => {
    await stack.ensureRunning();
  });

  const text = (ts: string) => visibleText(stack.message(ts).blocks);
  const dms = (user: string) =>
    stack.slack.messages(stack.slack.dmChannel(user)).map((message) => message.text ?? '');
  const eventsOf = async (id: string) => (await auditEvents(stack)).filter((e) => e.approvalId === id);
  const realDeletes = (name: string) =>
    stack.upstream.received({ method: 'DELETE', path: `/api/v1/namespaces/${name}` }).filter(isRealMutation)
      .length;

  /** kubectl deletes a namespace, its request is held and posted, then kubectl is killed. */
  async function heldThenGone(name: string) {
    stack.upstream.store.put(namespace(name));
    const held = await heldKubectl(stack, ['delete', 'namespace', name]);
    // Read before the kill: once the gateway records the requester gone, the slackbot may rewrite
    // the message at any moment.
    const postedWhileConnected = text(held.message.ts);
    held.kubectl.kill();
    await held.kubectl.result().catch(() => undefined);
    await waitUntil(
      'the gateway to record the requester gone',
      async () => (await storedApproval(stack, held.id)).raw.requesterGoneAt !== undefined,
    );
    return { ...held, postedWhileConnected };
  }

  it('problem 4: the requester disconnecting while pending changes the message', async () => {
    const { id, message, postedWhileConnected } = await heldThenGone('lc-gone');
    expect(postedWhileConnected).not.toMatch(/requester disconnected/);
    await stack.slack.waitFor('the message to say the requester left', () =>
      /the requester disconnected at .+ \(approving creates a one-time grant\)/.test(text(message.ts)),
    );
    const types = (await eventsOf(id)).map((e) => e.type);
    report('requester gone', 1, 1, 'pending messages said the requester disconnected');
    expect(types).toContain('requester.disconnected');
    expect((await storedApproval(stack, id)).state).toBe('pending');
  });

  it('problem 1: approved after the requester left, then the grant lapses — every surface says it never ran', async () => {
    const { id, message } = await heldThenGone('lc-lapse');
    await stack.slack.waitFor('the message to say the requester left', () =>
      /requester disconnected/.test(text(message.ts)),
    );
    const replies = stack.ephemeralReplies().length;
    expect((await stack.click(PEOPLE.bob, stack.message(message.ts), 'Approve')).status).toBe(200);
    await stack.slack.waitFor('the reply to bob', () => stack.ephemeralReplies().length > replies);
    const reply = stack.ephemeralReplies().at(-1) ?? '';
    // The reply cannot be edited later: it must not promise a send that is not happening.
    expect(reply).toMatch(/runs only if the agent re-runs the same command before/);
    expect(reply).not.toMatch(SAYS_SENT);
    expect(reply).not.toMatch(/sends it to the cluster/);

    await waitUntil(
      'the grant to lapse',
      async () => (await storedApproval(stack, id)).state === 'lapsed',
      (GRANT_TTL_S + 10) * 1000,
    );
    await stack.slack.waitFor('the message to say it never ran', () =>
      /never ran: the grant expired unused/.test(text(message.ts)),
    );
    await stack.slack.waitFor('the owner and the approver to be told it never ran', () =>
      [PEOPLE.alice.id, PEOPLE.bob.id].every((user) => dms(user).some((dm) => /never ran/.test(dm))),
    );
    const shown = await stack.audit(['show', id]);
    const outcome = shown.stdout.slice(shown.stdout.lastIndexOf('Outcome:'));
    const corrected = [text(message.ts), ...dms(PEOPLE.alice.id), ...dms(PEOPLE.bob.id)].filter((said) =>
      /never ran/.test(said),
    ).length;
    report('lapsed grant', corrected, 3, 'surfaces corrected to "never ran"', outcome.trim());
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('the grant expired unused');
    expect(outcome).toMatch(
      /approved by bob \(U0BOB\) at .+; approved but never ran: the grant expired unused at/,
    );
    for (const line of shown.stdout.split('\n')) expect(line).not.toMatch(SAYS_SENT);
    expect((await eventsOf(id)).map((e) => e.type)).toEqual(
      expect.arrayContaining(['approval.approved', 'grant.issued', 'grant.expired']),
    );
    expect((await eventsOf(id)).map((e) => e.type)).not.toContain('dispatch');
    expect(text(message.ts)).not.toMatch(SAYS_SENT);
    expect(realDeletes('lc-lapse')).toBe(0);
  });

  it('problem 3: a non-member clicking Deny is refused and audited as a refused vote', async () => {
    stack.upstream.store.put(namespace('lc-deny'));
    const held = await heldKubectl(stack, ['delete', 'namespace', 'lc-deny']);
    const views = stack.slack.views().length;
    expect((await stack.click(PEOPLE.carol, held.message, 'Deny')).status).toBe(200);
    const refused = await waitUntil('the refused vote in the audit chain', async () =>
      (await eventsOf(held.id)).find(
        (e) => e.type === 'vote' && (e.user as { id?: string } | undefined)?.id === PEOPLE.carol.id,
      ),
    );
    report('non-member deny', 1, 1, 'refused Deny clicks audited');
    expect(refused).toMatchObject({ decision: 'deny', outcome: 'refused' });
    // Refused before any modal: nothing else changed.
    expect(stack.slack.views()).toHaveLength(views);
    expect((await storedApproval(stack, held.id)).state).toBe('pending');
    await stack.deny(PEOPLE.dave, stack.message(held.message.ts), 'not today');
    expect((await held.kubectl.result()).code).not.toBe(0);
  });

  it('problem 5: the chain never records a dispatch before its approval', async () => {
    stack.upstream.store.put(namespace('lc-order'));
    const held = await heldKubectl(stack, ['delete', 'namespace', 'lc-order']);
    expect((await stack.click(PEOPLE.bob, held.message, 'Approve')).status).toBe(200);
    expect((await held.kubectl.result()).code).toBe(0);
    const completed = await waitUntil('the answer in the audit chain', async () => {
      const events = await eventsOf(held.id);
      return events.some((e) => e.type === 'approval.completed') && events;
    });
    const seqOf = (type: string) => completed.find((e) => e.type === type)?.seq ?? -1;
    expect(seqOf('approval.approved')).toBeGreaterThan(0);
    expect(seqOf('dispatch')).toBeGreaterThan(seqOf('approval.approved'));
    expect(seqOf('approval.completed')).toBeGreaterThan(seqOf('dispatch'));
    // And for every approval this stack has seen so far.
    const out = misordered(await auditEvents(stack));
    report('dispatch order', out.length, 0, 'dispatches recorded before their approval');
    expect(out).toEqual([]);
    expect(realDeletes('lc-order')).toBe(1);
  });

  it('problem 2: a request expires and is recorded as expired with the slackbot stopped', async () => {
    await stack.kill('slackbot');
    stack.upstream.store.put(namespace('lc-noslack'));
    const kubectl = stack.kubectl(['delete', 'namespace', 'lc-noslack']);
    const requested = await waitUntil('the request in the audit chain', async () =>
      (await auditEvents(stack)).find(
        (e) => e.type === 'approval.requested' && String(e.command).includes('lc-noslack'),
      ),
    );
    const id = String(requested.approvalId);
    // No held connection either: only the gateway's sweeper is left to notice the time.
    kubectl.kill();
    await kubectl.result().catch(() => undefined);
    await waitUntil(
      'the request to expire',
      async () => (await storedApproval(stack, id)).state === 'expired',
      (REQUEST_TTL_S + 15) * 1000,
    );
    const expired = await waitUntil('approval.expired in the audit chain', async () =>
      (await eventsOf(id)).find((e) => e.type === 'approval.expired'),
    );
    report('expiry without slackbot', 1, 1, 'expiries recorded with the slackbot down');
    expect(stack.slackbot.running()).toBe(false);
    expect(expired.seq).toBeGreaterThan(requested.seq);
    expect(realDeletes('lc-noslack')).toBe(0);

    // Back up, the slackbot posts what happened meanwhile: expired, not waiting.
    await stack.start('slackbot');
    const posted = await waitUntil('the expired request to be posted', () =>
      stack.approvalMessages().find((m) => approvalIdOf(m) === id),
    );
    await stack.slack.waitFor('the message to say expired', () => /expired/i.test(text(posted.ts)));
  });

  // Last: it breaks this stack's chain on purpose.
  it('problem 6: gatehouse-audit show says a tampered story is broken, and exits non-zero', async () => {
    stack.upstream.store.put(namespace('lc-tamper'));
    const held = await heldKubectl(stack, ['delete', 'namespace', 'lc-tamper']);
    await stack.deny(PEOPLE.dave, held.message, 'tamper target');
    expect((await held.kubectl.result()).code).not.toBe(0);
    const denial = await waitUntil('the denial in the audit chain', async () =>
      (await eventsOf(held.id)).find((e) => e.type === 'approval.denied'),
    );
    const intact = await stack.audit(['show', held.id]);
    expect(intact.code).toBe(0);
    expect(intact.stdout).not.toMatch(/BROKEN/);

    // Someone with Redis access removes the denial from the log.
    const log = stack.redis.key('audit', 'log');
    const entries = await stack.redis.redis.xrange(log, '-', '+');
    const entry = entries.find(([, fields]) => hasSeq(fields, denial.seq));
    expect(entry).toBeDefined();
    await stack.redis.redis.xdel(log, entry![0]);

    const tampered = await stack.audit(['show', held.id]);
    report('tampered show', tampered.code === 0 ? 0 : 1, 1, 'tampered stories flagged by show');
    expect(tampered.code).not.toBe(0);
    expect(tampered.stdout).toMatch(/AUDIT CHAIN BROKEN/);
    expect(tampered.stderr).toMatch(/AUDIT CHAIN BROKEN/);
  });
});

/** Approvals whose `dispatch` comes before their `approval.approved` in chain order. */
function misordered(events: readonly AuditEvent[]): string[] {
  const approved = new Set<string>();
  const out: string[] = [];
  for (const event of events) {
    if (event.approvalId === undefined) continue;
    if (event.type === 'approval.approved') approved.add(event.approvalId);
    if (event.type === 'dispatch' && !approved.has(event.approvalId)) out.push(event.approvalId);
  }
  return out;
}

/** Whether a stream entry's serialised event has this seq. */
function hasSeq(fields: readonly string[], seq: number): boolean {
  const line = fields[fields.indexOf('e') + 1] ?? '{}';
  return (JSON.parse(line) as { seq?: number }).seq === seq;
}
