import type { Approvals } from '@gatehouse/approvals';
import { afterEach, describe, expect, it } from 'vitest';
import { METADATA_EVENT_TYPE } from '../ids.js';
import type { ApprovalsPort } from '../ports.js';
import { CHANNEL, Harness, type HarnessOptions } from '../test-support/index.js';

let h: Harness;
afterEach(() => h.close());

const start = async (options: HarnessOptions = {}) => {
  h = await new Harness(options).start();
  return h;
};

describe('posting approval messages', () => {
  it('posts one Block Kit message per request with what an approver needs to decide', async () => {
    await start();
    const approval = await h.posted((await h.open({ approvalsNeeded: 2 })).id);

    const messages = h.slack.messages(CHANNEL);
    expect(messages).toHaveLength(1);
    expect(messages[0]!.metadata).toEqual({
      event_type: METADATA_EVENT_TYPE,
      event_payload: { approval_id: approval.id },
    });
    const text = h.messageText(approval);
    for (const expected of [
      '`agent-oncall` (owned by <@U0ALICE>)',
      '`prod`',
      '`prod-eu`',
      approval.command,
      '`prod-delete`',
      'deleting in prod-* needs an on-call approval',
      '0/2',
      `\`${approval.id}\``,
      `<!date^${Math.floor(approval.expiresAt / 1000)}^`,
      'Approve',
      'Deny',
    ]) {
      expect(text).toContain(expected);
    }
  });

  it('posts nothing more for an identical request that joins a pending one', async () => {
    await start();
    const first = await h.posted((await h.open({ command: 'same' })).id);
    const joined = await h.approvals.open(
      (await import('../test-support/index.js')).openInput({ command: 'same' }),
    );
    const other = await h.posted((await h.open()).id);

    expect(joined.joined).toBe(true);
    expect(joined.approval.id).toBe(first.id);
    expect(h.slack.messages(CHANNEL).map((message) => message.ts)).toEqual([first.slack.ts, other.slack.ts]);
  });

  it('posts once across a restart of the bot', async () => {
    await start();
    const first = await h.posted((await h.open()).id);
    await h.stopBot();
    const waiting = await h.open();
    expect(h.slack.messages(CHANNEL)).toHaveLength(1);

    await h.startBot();
    const second = await h.posted(waiting.id);
    // A third request goes through the same queue after the restart: by the time it is posted,
    // anything left over for the first two would have run.
    const third = await h.posted((await h.open()).id);

    expect(h.slack.messages(CHANNEL).map((message) => message.ts)).toEqual([
      first.slack.ts,
      second.slack.ts,
      third.slack.ts,
    ]);
    expect(h.slack.calls('chat.postMessage').filter((call) => call.args.channel === CHANNEL)).toHaveLength(3);
  });

  it('waits out a 429 with Retry-After and then posts once', async () => {
    await start();
    h.slack.failNext('chat.postMessage', { kind: 'ratelimited', retryAfterSeconds: 1 });

    const approval = await h.posted((await h.open()).id);

    expect(h.slack.calls('chat.postMessage').map((call) => call.status)).toEqual([429, 200]);
    expect(h.slack.messages(CHANNEL).map((message) => message.ts)).toEqual([approval.slack.ts]);
  });

  it('retries a Slack error with backoff and then posts once', async () => {
    await start();
    h.slack.failNext('chat.postMessage', { kind: 'error', error: 'internal_error' });
    h.slack.failNext('chat.postMessage', { kind: 'http', status: 503 });

    const approval = await h.posted((await h.open()).id);

    expect(h.slack.calls('chat.postMessage').map((call) => [call.status, call.error])).toEqual([
      [200, 'internal_error'],
      [503, 'http_503'],
      [200, undefined],
    ]);
    expect(h.slack.messages(CHANNEL).map((message) => message.ts)).toEqual([approval.slack.ts]);
  });

  it('does not post twice when the bot dies between posting and saving the message ref', async () => {
    const saves = { failing: 1 };
    await start({ wrapApprovals: failingFirstSave(saves) });

    const approval = await h.posted((await h.open()).id);

    expect(saves.failing).toBeLessThan(0);
    expect(h.slack.calls('chat.postMessage')).toHaveLength(1);
    expect(h.slack.calls('conversations.history')).toHaveLength(1);
    expect(h.slack.messages(CHANNEL).map((message) => message.ts)).toEqual([approval.slack.ts]);
  });

  it('posts again (the documented limit) when it cannot search the channel for the earlier post', async () => {
    const saves = { failing: 1 };
    await start({ wrapApprovals: failingFirstSave(saves) });
    h.slack.failNext('conversations.history', { kind: 'error', error: 'missing_scope' });

    const approval = await h.posted((await h.open()).id);

    expect(h.slack.calls('chat.postMessage')).toHaveLength(2);
    expect(h.slack.messages(CHANNEL).at(-1)?.ts).toBe(approval.slack.ts);
  });
});

/** Stands in for a crash right after chat.postMessage: the first save of a message ref throws. */
function failingFirstSave(saves: { failing: number }) {
  return (approvals: Approvals): ApprovalsPort => ({
    get: (id) => approvals.get(id),
    vote: (id, input) => approvals.vote(id, input),
    listPending: (page) => approvals.listPending(page),
    countPending: () => approvals.countPending(),
    queueNames: approvals.queueNames,
    place: (id, limit) => approvals.place(id, limit),
    postForReview: (id, by) => approvals.postForReview(id, by),
    promoteWaiting: (agent, limit) => approvals.promoteWaiting(agent, limit),
    burst: (agent, shown) => approvals.burst(agent, shown),
    setBurstMessage: (agent, message) => approvals.setBurstMessage(agent, message),
    setSlackMessage: async (id, message) => {
      if (saves.failing-- > 0) throw new Error('simulated crash before the save');
      return approvals.setSlackMessage(id, message);
    },
  });
}
