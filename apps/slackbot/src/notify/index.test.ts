import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Harness, USERS } from '../test-support/index.js';

let h: Harness;
beforeEach(async () => {
  h = await new Harness().start();
});
afterEach(() => h.close());

describe('telling where an approval ended', () => {
  it('corrects the approver and the owner when the grant they were told of lapses unused', async () => {
    const approval = await h.posted((await h.open()).id);
    await h.approvals.leave(approval.id); // the requester is gone: approving creates a grant

    const answer = await h.approve(USERS.bob, approval);
    expect(answer).toContain('runs only if the agent re-runs the same command before');

    h.clock.advance(600_001);
    expect(await h.approvals.sweepExpired()).toBe(1);

    const bob = h.slack.dmChannel(USERS.bob.id);
    await h.slack.waitFor('the approver correction', () => h.slack.messages(bob).length === 1);
    const correction = h.slack.messages(bob)[0]!.text;
    expect(correction).toContain('Correction to your approval of');
    expect(correction).toContain('approved but never ran: the grant expired unused at');

    const alice = h.slack.dmChannel(USERS.alice.id);
    await h.slack.waitFor('the owner DMs', () => h.slack.messages(alice).length === 2);
    expect(h.slack.messages(alice).map((message) => message.text)).toEqual([
      expect.stringContaining('runs only if the agent re-runs'),
      expect.stringContaining('approved but never ran'),
    ]);
  });

  it('tells only the owners of a denial: the denier was told the truth', async () => {
    const approval = await h.posted((await h.open()).id);
    await h.deny(USERS.bob, approval, 'not now');

    const alice = h.slack.dmChannel(USERS.alice.id);
    await h.slack.waitFor('the owner DM', () => h.slack.messages(alice).length === 1);
    expect(h.slack.messages(alice)[0]!.text).toContain('denied; nothing was sent to the cluster');
    expect(h.slack.messages(h.slack.dmChannel(USERS.bob.id))).toEqual([]);
  });
});
