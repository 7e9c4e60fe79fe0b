import type { ApprovalRequest } from '@gatehouse/approvals';
import type { FakeMessage } from '@gatehouse/testkit/slack-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ActionId, BURST_METADATA_EVENT_TYPE, METADATA_EVENT_TYPE } from '../ids.js';
import { blocksText, CHANNEL, Harness, USERS } from '../test-support/index.js';

// The harness's config keeps slack.coalesceAfter at its default, 5.
const LIMIT = 5;

let h: Harness;
let requests: ApprovalRequest[];
beforeEach(async () => {
  h = await new Harness().start();
  requests = [];
  for (let i = 0; i < LIMIT + 2; i++) {
    h.clock.advance(1);
    requests.push(await h.open());
  }
  await h.slack.waitFor('the burst message listing 2', () =>
    burstText().includes('has 2 more requests waiting'),
  );
  await h.slack.waitFor('5 own messages', () => own().length === LIMIT);
});
afterEach(() => h.close());

const of = (type: string) =>
  h.slack.messages(CHANNEL).filter((message) => message.metadata?.event_type === type);
const own = () =>
  of(METADATA_EVENT_TYPE).map((message) => String(message.metadata?.event_payload.approval_id));
const burst = (): FakeMessage => {
  const [message, ...more] = of(BURST_METADATA_EVENT_TYPE);
  if (!message || more.length > 0)
    throw new Error(`expected one burst message, found ${more.length + (message ? 1 : 0)}`);
  return message;
};
const burstText = () => (of(BURST_METADATA_EVENT_TYPE).length === 1 ? blocksText(burst().blocks) : '');
/** A click on a button of the burst message (or, with `from`, of another message). */
const clickPostForReview = async (
  person: (typeof USERS)[keyof typeof USERS],
  approval: ApprovalRequest,
  from?: FakeMessage,
) => {
  const message = from ?? burst();
  const { responseUrl } = await h.click(person, ActionId.PostForReview, {
    ...approval,
    slack: { channel: message.channel, ts: message.ts },
  });
  return h.answer(responseUrl);
};

describe('an agent burst in Slack', () => {
  it('posts the first 5 on their own and lists the rest, oldest first, with Post for review and no vote', () => {
    expect(own()).toEqual(requests.slice(0, LIMIT).map((request) => request.id));
    const text = burstText();
    expect(text.indexOf(requests[5]!.id)).toBeLessThan(text.indexOf(requests[6]!.id));
    expect(JSON.stringify(burst().blocks)).not.toContain(ActionId.Approve);
    expect(JSON.stringify(burst().blocks)).not.toContain(ActionId.Deny);
  });

  it('Post for review: refused from another message and for a non-member; an approver gets the request its own message', async () => {
    const waiting = requests[6]!;
    const elsewhere = await h.posted(requests[0]!.id);
    const fromElsewhere = h.slack.message(CHANNEL, elsewhere.slack.ts)!;
    expect(await clickPostForReview(USERS.bob, waiting, fromElsewhere)).toContain('not on the burst message');
    expect(await clickPostForReview(USERS.mallory, waiting)).toContain('you are not in it');
    expect(await clickPostForReview(USERS.alice, waiting)).toContain('You own agent');
    expect(own()).toHaveLength(LIMIT);

    expect(await clickPostForReview(USERS.bob, waiting)).toContain('Posting');
    const posted = await h.posted(waiting.id);
    expect(h.messageText(posted)).toContain('Waiting for approval');
    await h.slack.waitFor('the burst message listing 1', () =>
      burstText().includes('has 1 more request waiting'),
    );
    expect(burstText()).not.toContain(waiting.id);
    expect(await clickPostForReview(USERS.bob, waiting)).toContain('already has its own message');
    expect(own()).toHaveLength(LIMIT + 1);
  });

  it('a decision gives its place to the oldest waiting; once none wait the burst message says so', async () => {
    await h.deny(USERS.bob, await h.posted(requests[1]!.id), 'no');
    await h.posted(requests[5]!.id);
    await h.approve(USERS.bob, await h.posted(requests[2]!.id));
    await h.posted(requests[6]!.id);
    await h.slack.waitFor('the burst message to say none wait', () =>
      burstText().includes('No more requests'),
    );
    expect(own()).toEqual(requests.map((request) => request.id));
  });

  it('waiting requests that expire leave the list and are never posted', async () => {
    h.clock.advance(600_001);
    await h.approvals.sweepExpired();
    await h.slack.waitFor('the burst message to say none wait', () =>
      burstText().includes('No more requests'),
    );
    expect((await h.approvals.get(requests[6]!.id))?.state).toBe('expired');
    expect(own()).toHaveLength(LIMIT);
  });
});
