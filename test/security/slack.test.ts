import { deployment, namespace } from '@gatehouse/testkit/kube-upstream';
import { type BackgroundKubectl, waitUntil } from '@gatehouse/testkit/processes';
import {
  type FakeMessage,
  type FakeUser,
  interactiveBody,
  postToSlackApp,
  signedHeaders,
  viewSubmissionPayload,
} from '@gatehouse/testkit/slack-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PEOPLE, SRE_USERGROUP, type Stack, startStack } from '../stack/index.js';
import { findTextInput, visibleText } from '../stack/slack-clicks.js';
import { approvalIdOf, auditEvents, isRealMutation, report, storedApproval } from './support.js';

/**
 * The Slack side under attack, against the running slackbot process: forged and replayed
 * clicks, people who may not approve, and clicks racing each other. Every count is read from
 * what the attack could have changed: the approval in Redis, the audit chain, and what the
 * recording Kubernetes API received.
 */

/** 100 members of sre-oncall, for the race. */
const CROWD: FakeUser[] = Array.from({ length: 100 }, (_, i) => ({
  id: `U0SRE${String(i).padStart(3, '0')}`,
  name: `sre${i}`,
}));
/** In the dba group only. */
const ERIN = { id: 'U0ERIN', name: 'erin' };
/** In sre-oncall until the test removes him. */
const FRANK = { id: 'U0FRANK', name: 'frank' };

describe('security: Slack clicks against the running slackbot', () => {
  let stack: Stack;
  /** Real deletes: the gateway's blast-radius preview may send dry runs before any approval. */
  const deletes = (path: string) =>
    stack.upstream.received({ method: 'DELETE', path }).filter(isRealMutation);

  beforeAll(async () => {
    stack = await startStack({
      extraApprovers: [...CROWD, FRANK, ERIN].map((person) => ({ ...person })),
      extraGroups: { dba: [ERIN.id] },
      usergroupCacheTtl: '1s',
      policy: {
        default: 'allow',
        rules: [
          {
            name: 'namespace-delete',
            match: { verbs: ['delete'], resources: ['namespaces'] },
            require: { group: 'sre-oncall', approvals: 1 },
          },
          {
            name: 'two-person-deployment-delete',
            match: { verbs: ['delete'], resources: ['deployments'] },
            require: { group: 'sre-oncall', approvals: 2 },
          },
        ],
      },
    });
    // ERIN was added to the workspace with the crowd; keep her out of sre-oncall.
    stack.slack.setUsergroup(SRE_USERGROUP, [
      PEOPLE.bob.id,
      PEOPLE.dave.id,
      FRANK.id,
      ...CROWD.map((p) => p.id),
    ]);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  /** Starts a gated kubectl and returns its approval message. */
  async function held(
    args: string[],
  ): Promise<{ kubectl: BackgroundKubectl; message: FakeMessage; id: string }> {
    const before = stack.approvalMessages().length;
    const kubectl = stack.kubectl(args);
    const messages = await stack.waitForMessages(before + 1);
    const message = messages[before]!;
    return { kubectl, message, id: approvalIdOf(message) };
  }

  it('forged, stale, replayed and tampered clicks: 0 accepted', async () => {
    stack.upstream.store.put(namespace('forgery-a'));
    stack.upstream.store.put(deployment({ name: 'forgery-b', namespace: 'payments-staging' }));
    const a = await held(['delete', 'namespace', 'forgery-a']);
    const b = await held(['delete', 'deployment', 'forgery-b', '-n', 'payments-staging']);
    const { url, signingSecret } = stack.slackEndpoint;
    const now = Math.floor(Date.now() / 1000);
    const body = () => stack.clickBody(PEOPLE.bob, a.message, 'Approve');

    const forged: { kind: string; send: () => Promise<number> }[] = [];
    const post = async (text: string, headers: Record<string, string>) =>
      (await postToSlackApp(url, text, { headers })).status;
    for (let i = 0; i < 5; i++) {
      forged.push({
        kind: 'unsigned',
        send: () =>
          post(
            body(),
            [
              { 'content-type': 'application/x-www-form-urlencoded' },
              {
                'content-type': 'application/x-www-form-urlencoded',
                'x-slack-request-timestamp': String(now),
              },
              {
                'content-type': 'application/x-www-form-urlencoded',
                'x-slack-signature': signedHeaders(body(), { signingSecret })['x-slack-signature']!,
              },
              {
                'content-type': 'application/x-www-form-urlencoded',
                'x-slack-signature': 'v0=',
                'x-slack-request-timestamp': String(now),
              },
              { 'content-type': 'application/json' },
            ][i]!,
          ),
      });
      forged.push({
        kind: 'wrong secret',
        send: () => {
          const text = body();
          const secret = [
            `${signingSecret}x`,
            signingSecret.slice(1),
            '',
            'stack-signing-secret',
            signingSecret.toUpperCase(),
          ][i]!;
          return post(text, signedHeaders(text, { signingSecret: secret }));
        },
      });
      forged.push({
        kind: 'stale',
        send: () => {
          const text = body();
          // More than five minutes either way at the moment it is checked, correctly signed.
          const sent = Math.floor(Date.now() / 1000);
          const at = [sent - 302, sent - 600, sent - 86_400, sent + 360, 0][i]!;
          return post(text, signedHeaders(text, { signingSecret, timestampSeconds: at }));
        },
      });
    }
    // A real click (counted: 1 of the 2 deployment-delete needs), then its exact bytes again.
    const legit = stack.clickBody(PEOPLE.bob, b.message, 'Approve');
    const legitHeaders = signedHeaders(legit, { signingSecret });
    const repliesBefore = stack.ephemeralReplies().length;
    expect(await post(legit, legitHeaders)).toBe(200);
    await stack.slack.waitFor('bob’s vote on b', () => stack.ephemeralReplies().length > repliesBefore);
    for (let i = 0; i < 5; i++) {
      forged.push({ kind: 'replayed', send: () => post(legit, legitHeaders) });
      // Bob's signed click, edited: another approval, another user, another button, a second action.
      forged.push({
        kind: 'tampered',
        send: () => {
          const payload = JSON.parse(new URLSearchParams(legit).get('payload')!) as {
            user: { id: string };
            actions: { value: string; action_id: string }[];
          };
          if (i === 0) payload.actions[0]!.value = a.id;
          if (i === 1) payload.user.id = PEOPLE.dave.id;
          if (i === 2) payload.actions.push({ ...payload.actions[0]! });
          if (i === 3) payload.actions[0]!.value = `${b.id} `;
          const text =
            i === 4 ? `${legit}&x=1` : interactiveBody(payload as unknown as Record<string, unknown>);
          return post(text, legitHeaders);
        },
      });
    }

    const answers = await Promise.all(forged.map(async (f) => ({ kind: f.kind, status: await f.send() })));
    const accepted = answers.filter((answer) => answer.status < 400);
    const kinds = [...new Set(forged.map((f) => f.kind))]
      .map((kind) => `${kind} ${answers.filter((x) => x.kind === kind && x.status < 400).length}/5`)
      .join(', ');
    report('slack forgery', accepted.length, forged.length, 'accepted', kinds);
    expect(accepted).toEqual([]);

    // Nothing moved: a has no vote, b has bob's one legit vote, the audit agrees, the cluster got nothing.
    expect((await storedApproval(stack, a.id)).votes).toEqual([]);
    expect((await storedApproval(stack, a.id)).state).toBe('pending');
    expect((await storedApproval(stack, b.id)).votes.map((v) => v.userId)).toEqual([PEOPLE.bob.id]);
    const votes = (await auditEvents(stack)).filter((e) => e.type === 'vote');
    expect(votes.filter((e) => e.approvalId === a.id)).toEqual([]);
    expect(votes.filter((e) => e.approvalId === b.id)).toHaveLength(1);
    expect(deletes('/api/v1/namespaces/forgery-a')).toEqual([]);
    expect(deletes('/apis/apps/v1/namespaces/payments-staging/deployments/forgery-b')).toEqual([]);
    expect(a.kubectl.running()).toBe(true);
    expect(b.kubectl.running()).toBe(true);
    a.kubectl.kill();
    b.kubectl.kill();
  });

  it('signed clicks naming another channel or message than the approval message: 0 votes counted', async () => {
    stack.upstream.store.put(namespace('elsewhere-a'));
    stack.upstream.store.put(namespace('elsewhere-b'));
    const a = await held(['delete', 'namespace', 'elsewhere-a']);
    const b = await held(['delete', 'namespace', 'elsewhere-b']);
    const { url, signingSecret } = stack.slackEndpoint;
    interface ClickPayload {
      container: { channel_id: string; message_ts: string };
      channel: { id: string };
      message: { ts: string };
    }
    // Bob's real click on a's message, correctly signed after each edit: only where it says it came from differs.
    const edited = (label: 'Approve' | 'Deny', edit: (payload: ClickPayload) => void) => {
      const payload = JSON.parse(
        new URLSearchParams(stack.clickBody(PEOPLE.bob, a.message, label)).get('payload')!,
      ) as ClickPayload;
      edit(payload);
      return interactiveBody(payload as unknown as Record<string, unknown>);
    };
    const elsewhere: { kind: string; edit: (payload: ClickPayload) => void }[] = [
      {
        kind: 'container channel',
        edit: (p) => {
          p.container.channel_id = 'C0OTHER';
        },
      },
      {
        kind: 'container message',
        edit: (p) => {
          p.container.message_ts = b.message.ts;
        },
      },
      {
        kind: 'channel',
        edit: (p) => {
          p.channel.id = 'C0OTHER';
        },
      },
      {
        kind: 'message',
        edit: (p) => {
          p.message.ts = '1700000000.000100';
        },
      },
      {
        kind: "b's message",
        edit: (p) => {
          p.container.message_ts = b.message.ts;
          p.message.ts = b.message.ts;
        },
      },
      {
        kind: 'a DM',
        edit: (p) => {
          p.container.channel_id = 'D0BOB';
          p.channel.id = 'D0BOB';
        },
      },
    ];
    const repliesBefore = stack.ephemeralReplies().length;
    const viewsBefore = stack.slack.views().length;
    const clicks = elsewhere.flatMap(({ edit }) => [edited('Approve', edit), edited('Deny', edit)]);
    const statuses: number[] = [];
    for (const text of clicks) statuses.push((await postToSlackApp(url, text, { signingSecret })).status);
    // Signed correctly, so Slack's 200 (acked); each answered with a refusal and no modal opened.
    expect(statuses.every((status) => status === 200)).toBe(true);
    await stack.slack.waitFor(
      'every refusal answered',
      () => stack.ephemeralReplies().length >= repliesBefore + clicks.length,
    );
    const replies = stack.ephemeralReplies().slice(repliesBefore);
    const stored = await storedApproval(stack, a.id);
    const votes = (await auditEvents(stack)).filter((e) => e.type === 'vote' && e.approvalId === a.id);
    report(
      'clicks from another channel or message',
      stored.votes.length,
      clicks.length,
      'votes counted',
      `${elsewhere.map((e) => e.kind).join(', ')}; Approve and Deny each; ${votes.filter((e) => e.outcome === 'refused').length} audited as refused`,
    );
    expect(stored.votes).toEqual([]);
    expect(stored.state).toBe('pending');
    expect(stack.slack.views().length).toBe(viewsBefore);
    expect(replies.every((reply) => /not on the message of request/.test(reply))).toBe(true);
    expect(votes.map((e) => [e.outcome, e.reason])).toEqual(clicks.map(() => ['refused', 'wrong-message']));
    expect(deletes('/api/v1/namespaces/elsewhere-a')).toEqual([]);
    expect((await storedApproval(stack, b.id)).votes).toEqual([]);

    // The unedited click from a's own message still counts.
    expect((await stack.click(PEOPLE.bob, a.message, 'Approve')).status).toBe(200);
    expect((await a.kubectl.result()).code).toBe(0);
    expect(deletes('/api/v1/namespaces/elsewhere-a')).toHaveLength(1);
    b.kubectl.kill();
  });

  it('owners, non-members, another group and a removed member: 0 votes counted', async () => {
    stack.upstream.store.put(namespace('who-may'));
    // alice owns agent-oncall; making her an sre-oncall member must not let her approve its requests.
    stack.slack.setUsergroup(SRE_USERGROUP, [
      PEOPLE.alice.id,
      PEOPLE.bob.id,
      PEOPLE.dave.id,
      FRANK.id,
      ...CROWD.map((p) => p.id),
    ]);
    const { kubectl, message, id } = await held(['delete', 'namespace', 'who-may']);
    // Bob opens the deny modal (and never submits it): the others submit that view as their own.
    const viewsBefore = stack.slack.views().length;
    expect((await stack.click(PEOPLE.bob, message, 'Deny')).status).toBe(200);
    await stack.slack.waitFor('the deny modal', () => stack.slack.views().length > viewsBefore);
    const view = stack.slack.views()[viewsBefore]!;
    const input = findTextInput(view)!;
    const { url, signingSecret } = stack.slackEndpoint;
    const submitDeny = (person: { id: string; name: string }) =>
      postToSlackApp(
        url,
        interactiveBody(
          viewSubmissionPayload({
            user: person,
            view,
            values: { [input.blockId]: { [input.actionId]: 'no' } },
          }),
        ),
        { signingSecret },
      );

    // Frank's membership is cached now (a lookup for alice's click), then he leaves the group.
    const attempts: { who: string; send: () => Promise<unknown> }[] = [];
    const both = (who: string, person: { id: string; name: string }) => {
      attempts.push({ who, send: () => stack.click(person, message, 'Approve') });
      attempts.push({ who, send: () => stack.click(person, message, 'Deny') });
      attempts.push({ who, send: () => submitDeny(person) });
    };
    both('owner', PEOPLE.alice);
    both('non-member', PEOPLE.carol);
    both('other group', ERIN);
    for (const attempt of attempts) await attempt.send();
    stack.slack.setUsergroup(SRE_USERGROUP, [
      PEOPLE.alice.id,
      PEOPLE.bob.id,
      PEOPLE.dave.id,
      ...CROWD.map((p) => p.id),
    ]);
    // Past the 1 s cache TTL, the removal must be seen.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const removed: typeof attempts = [];
    removed.push({ who: 'removed', send: () => stack.click(FRANK, message, 'Approve') });
    removed.push({ who: 'removed', send: () => stack.click(FRANK, message, 'Deny') });
    removed.push({ who: 'removed', send: () => submitDeny(FRANK) });
    for (const attempt of removed) await attempt.send();
    attempts.push(...removed);

    await stack.slack.waitFor('every refusal answered', () => {
      const refusals = (stack.slack.ephemerals().length ?? 0) + stack.ephemeralReplies().length;
      return refusals >= attempts.length;
    });
    const stored = await storedApproval(stack, id);
    const accepted = (await auditEvents(stack)).filter(
      (e) => e.type === 'vote' && e.approvalId === id && e.outcome === 'accepted',
    );
    report(
      'who may approve',
      stored.votes.length,
      attempts.length,
      'votes counted',
      'owner, non-member, other group, removed after TTL; approve, deny click, deny modal each',
    );
    expect(stored.votes).toEqual([]);
    expect(accepted).toEqual([]);
    expect(stored.state).toBe('pending');
    expect(kubectl.running()).toBe(true);
    expect(deletes('/api/v1/namespaces/who-may')).toEqual([]);

    // A real approver still can.
    expect((await stack.click(PEOPLE.dave, message, 'Approve')).status).toBe(200);
    expect((await kubectl.result()).code).toBe(0);
    expect(deletes('/api/v1/namespaces/who-may')).toHaveLength(1);
  });

  it('a failed user group lookup refuses (fail closed): 0 votes counted', async () => {
    stack.upstream.store.put(namespace('lookup-fails'));
    const { kubectl, message, id } = await held(['delete', 'namespace', 'lookup-fails']);
    // Past the cache TTL the bot must ask Slack again, and Slack answers with an error.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const repliesBefore = stack.ephemeralReplies().length;
    stack.slack.failNext('usergroups.users.list', { kind: 'error', error: 'missing_scope' }, 3);
    const clickers = [PEOPLE.bob, PEOPLE.dave, CROWD[0]!];
    // One at a time, so each click makes its own lookup (concurrent ones would share one).
    for (const [i, person] of clickers.entries()) {
      expect((await stack.click(person, message, 'Approve')).status).toBe(200);
      await stack.slack.waitFor(
        'the refusal',
        () => stack.ephemeralReplies().length >= repliesBefore + i + 1,
      );
    }
    expect(
      stack
        .ephemeralReplies()
        .slice(repliesBefore)
        .every((reply) => /could not check/i.test(reply)),
    ).toBe(true);
    const stored = await storedApproval(stack, id);
    report('usergroup lookup failing', stored.votes.length, clickers.length, 'votes counted');
    expect(stored.votes).toEqual([]);
    expect(stored.state).toBe('pending');
    expect(deletes('/api/v1/namespaces/lookup-fails')).toEqual([]);
    // Slack answers again: the same approver's click counts.
    expect((await stack.click(PEOPLE.bob, message, 'Approve')).status).toBe(200);
    expect((await kubectl.result()).code).toBe(0);
    expect(deletes('/api/v1/namespaces/lookup-fails')).toHaveLength(1);
  });

  it('100 concurrent approvals of a 2-approval request: one transition, one dispatch', async () => {
    stack.upstream.store.put(deployment({ name: 'race-web', namespace: 'payments-staging' }));
    const path = '/apis/apps/v1/namespaces/payments-staging/deployments/race-web';
    const { kubectl, message, id } = await held([
      'delete',
      'deployment',
      'race-web',
      '-n',
      'payments-staging',
    ]);
    const answers = await Promise.all(CROWD.map((person) => stack.click(person, message, 'Approve')));
    expect(answers.every((answer) => answer.status === 200)).toBe(true);
    const result = await kubectl.result();
    expect(result.code).toBe(0);

    const events = (await auditEvents(stack)).filter((e) => e.approvalId === id);
    const transitions = events.filter((e) => e.type === 'approval.approved').length;
    const dispatches = deletes(path).length;
    const stored = await storedApproval(stack, id);
    report(
      'race: 100 approvals needing 2',
      transitions,
      1,
      'transition',
      `${dispatches} upstream dispatch, ${stored.votes.length} votes counted`,
    );
    expect(transitions).toBe(1);
    expect(dispatches).toBe(1);
    expect(events.filter((e) => e.type === 'dispatch')).toHaveLength(1);
    expect(stored.votes).toHaveLength(2);
    expect(events.filter((e) => e.type === 'vote' && e.outcome === 'accepted')).toHaveLength(2);
  });

  it('approve and deny arriving together: one outcome, the same in Redis, Slack, the audit and kubectl', async () => {
    const rounds = 5;
    let consistent = 0;
    const outcomes: string[] = [];
    for (let round = 0; round < rounds; round++) {
      const name = `race-${round}`;
      stack.upstream.store.put(namespace(name));
      const { kubectl, message, id } = await held(['delete', 'namespace', name]);
      const viewsBefore = stack.slack.views().length;
      expect((await stack.click(PEOPLE.dave, message, 'Deny')).status).toBe(200);
      await stack.slack.waitFor('the deny modal', () => stack.slack.views().length > viewsBefore);
      const view = stack.slack.views()[viewsBefore]!;
      const input = findTextInput(view)!;
      const denyBody = interactiveBody(
        viewSubmissionPayload({
          user: PEOPLE.dave,
          view,
          values: { [input.blockId]: { [input.actionId]: 'race' } },
        }),
      );
      await Promise.all([
        stack.click(PEOPLE.bob, message, 'Approve'),
        postToSlackApp(stack.slackEndpoint.url, denyBody, {
          signingSecret: stack.slackEndpoint.signingSecret,
        }),
      ]);
      const result = await kubectl.result();
      const stored = await storedApproval(stack, id);
      // The slackbot writes the outcome to the audit after answering Slack; kubectl may finish first.
      const events = await waitUntil('the outcome in the audit', async () => {
        const recorded = (await auditEvents(stack)).filter((e) => e.approvalId === id);
        return (
          recorded.some((e) => e.type === 'approval.approved' || e.type === 'approval.denied') && recorded
        );
      });
      const approvedEvents = events.filter((e) => e.type === 'approval.approved').length;
      const deniedEvents = events.filter((e) => e.type === 'approval.denied').length;
      const approved = ['approved', 'dispatched', 'completed'].includes(stored.state);
      await stack.slack.waitFor('the message to show the outcome', () =>
        /approved|denied/i.test(visibleText(stack.message(message.ts).blocks)),
      );
      const shown = visibleText(stack.message(message.ts).blocks);
      const sent = deletes(`/api/v1/namespaces/${name}`).length;
      const agrees = approved
        ? approvedEvents === 1 &&
          deniedEvents === 0 &&
          result.code === 0 &&
          sent === 1 &&
          /approved/i.test(shown) &&
          !/denied/i.test(shown)
        : stored.state === 'denied' &&
          approvedEvents === 0 &&
          deniedEvents === 1 &&
          result.code !== 0 &&
          sent === 0 &&
          /denied/i.test(shown);
      outcomes.push(stored.state);
      if (agrees) consistent++;
      else
        console.log('[security] inconsistent race', {
          state: stored.state,
          approvedEvents,
          deniedEvents,
          code: result.code,
          sent,
          shown,
        });
    }
    report('race: approve vs deny', consistent, rounds, 'consistent', outcomes.join(' '));
    expect(consistent).toBe(rounds);
  });
});
