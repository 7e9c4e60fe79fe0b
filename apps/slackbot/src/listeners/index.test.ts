import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ActionId, ViewId } from '../ids.js';
import { Harness, USERS } from '../test-support/index.js';

let h: Harness;
beforeEach(async () => {
  h = await new Harness().start();
});
afterEach(() => h.close());

const hasButtons = (blocks: unknown[]) =>
  blocks.some((block) => (block as { type: string }).type === 'actions');
const votesOf = async (id: string) => (await h.approvals.get(id))?.votes ?? [];

describe('who may approve', () => {
  it('counts a click by a member of the approver group, updates the message and tells the owners', async () => {
    const approval = await h.posted((await h.open()).id);
    expect(h.messageText(approval)).toContain('0/1');
    expect(hasButtons(h.slack.message(approval.slack.channel, approval.slack.ts)!.blocks)).toBe(true);

    const answer = await h.approve(USERS.bob, approval);

    expect(answer).toContain('You approved');
    const stored = await h.approvals.get(approval.id);
    expect(stored?.state).toBe('approved');
    expect(stored?.votes.map((vote) => [vote.userId, vote.decision])).toEqual([['U0BOB', 'approve']]);
    await h.waitForMessage(approval, 'shows the approval', (text) => text.includes('*Approved*'));
    expect(h.messageText(approval)).toMatch(/<@U0BOB> approved <!date\^\d+\^/);
    expect(h.messageText(approval)).toContain('1/1');
    expect(hasButtons(h.slack.message(approval.slack.channel, approval.slack.ts)!.blocks)).toBe(false);

    const dm = h.slack.dmChannel(USERS.alice.id);
    await h.slack.waitFor('the owner DM', () => h.slack.messages(dm).length === 1);
    expect(h.slack.messages(dm)[0]!.text).toContain('approved');
    expect(await h.auditEvents()).toEqual([
      expect.objectContaining({
        type: 'vote',
        approvalId: approval.id,
        outcome: 'accepted',
        decision: 'approve',
      }),
      {
        type: 'approval.approved',
        approvalId: approval.id,
        approvers: [{ id: 'U0BOB', name: 'bob' }],
        decidedAt: new Date((await h.approvals.get(approval.id))!.decidedAt!).toISOString(),
      },
    ]);
  });

  it('refuses a click by someone outside the approver group and changes nothing', async () => {
    const approval = await h.posted((await h.open()).id);

    const answer = await h.approve(USERS.mallory, approval);

    expect(answer).toContain('not in it');
    expect(answer).toContain('S0SRE');
    expect(await votesOf(approval.id)).toEqual([]);
    expect((await h.approvals.get(approval.id))?.state).toBe('pending');
    expect(h.messageText(approval)).toContain('0/1');
    expect(hasButtons(h.slack.message(approval.slack.channel, approval.slack.ts)!.blocks)).toBe(true);
    expect(await h.auditEvents()).toEqual([
      expect.objectContaining({
        type: 'vote',
        outcome: 'refused',
        reason: 'not-member',
        user: { id: 'U0MALLORY', name: 'mallory' },
      }),
    ]);
  });

  it("refuses the requesting agent's owner even when they are in the approver group", async () => {
    h.slack.setUsergroup('S0SRE', [USERS.alice.id, USERS.bob.id]);
    const approval = await h.posted((await h.open()).id);

    const answer = await h.approve(USERS.alice, approval);

    expect(answer).toContain('You own agent');
    expect(await votesOf(approval.id)).toEqual([]);
    expect((await h.approvals.get(approval.id))?.state).toBe('pending');
    expect(await h.auditEvents()).toEqual([
      expect.objectContaining({ type: 'vote', outcome: 'refused', reason: 'owner' }),
    ]);
  });

  it('uses a configured member list for groups without a Slack user group', async () => {
    const approval = await h.posted((await h.open({ group: 'dba' })).id);

    expect(await h.approve(USERS.bob, approval)).toContain('not in it');
    expect(await votesOf(approval.id)).toEqual([]);
    expect(await h.approve(USERS.frank, approval)).toContain('You approved');
    expect((await h.approvals.get(approval.id))?.state).toBe('approved');
  });

  it("refuses a member of another approver group on this rule's requests", async () => {
    const approval = await h.posted((await h.open({ group: 'sre-oncall' })).id);

    expect(await h.approve(USERS.frank, approval)).toContain('not in it');
    expect(await votesOf(approval.id)).toEqual([]);
  });
});

describe('user group changes', () => {
  it('refuses a user removed from the Slack user group once the cache has expired', async () => {
    await h.close();
    h = await new Harness({ usergroupCacheTtlMs: 1 }).start();
    const first = await h.posted((await h.open()).id);
    const second = await h.posted((await h.open()).id);
    expect(await h.approve(USERS.bob, first)).toContain('You approved');

    h.slack.setUsergroup('S0SRE', [USERS.carol.id]);
    await new Promise((resolve) => setTimeout(resolve, 5));

    expect(await h.approve(USERS.bob, second)).toContain('not in it');
    expect(await votesOf(second.id)).toEqual([]);
    expect(h.slack.calls('usergroups.users.list')).toHaveLength(2);
  });
});

describe('votes and decisions', () => {
  it('needs two distinct approvals; the same person twice counts once; the message follows each step', async () => {
    const approval = await h.posted((await h.open({ approvalsNeeded: 2 })).id);

    expect(await h.approve(USERS.bob, approval)).toContain('1/2 approvals so far');
    await h.waitForMessage(
      approval,
      'shows 1/2',
      (text) => text.includes('1/2') && text.includes('<@U0BOB> approved'),
    );
    expect(hasButtons(h.slack.message(approval.slack.channel, approval.slack.ts)!.blocks)).toBe(true);

    expect(await h.approve(USERS.bob, approval)).toContain('You already voted');
    expect((await votesOf(approval.id)).length).toBe(1);
    expect((await h.approvals.get(approval.id))?.state).toBe('pending');

    expect(await h.approve(USERS.carol, approval)).toContain('You approved');
    await h.waitForMessage(approval, 'shows the approval', (text) => text.includes('*Approved*'));
    const text = h.messageText(approval);
    expect(text).toContain('2/2');
    expect(text).toContain('<@U0BOB> approved');
    expect(text).toContain('<@U0CAROL> approved');
    expect(hasButtons(h.slack.message(approval.slack.channel, approval.slack.ts)!.blocks)).toBe(false);
    expect((await h.auditEvents()).filter((event) => event.type === 'approval.approved')).toHaveLength(1);
  });

  it('denies with the reason given in the modal, and says so in the message and to the owners', async () => {
    const approval = await h.posted((await h.open({ approvalsNeeded: 2 })).id);

    const answer = await h.deny(USERS.carol, approval, 'change freeze until Monday');

    const opened = h.slack.views()[0]!;
    expect(opened.view.callback_id).toBe(ViewId.DenyReason);
    expect(answer).toContain('You denied');
    const stored = await h.approvals.get(approval.id);
    expect(stored).toMatchObject({
      state: 'denied',
      deniedBy: 'U0CAROL',
      denyReason: 'change freeze until Monday',
    });
    await h.waitForMessage(approval, 'shows the denial', (text) => text.includes('*Denied*'));
    expect(h.messageText(approval)).toContain('<@U0CAROL>');
    expect(h.messageText(approval)).toContain('change freeze until Monday');
    expect(hasButtons(h.slack.message(approval.slack.channel, approval.slack.ts)!.blocks)).toBe(false);
    const dm = h.slack.dmChannel(USERS.alice.id);
    await h.slack.waitFor('the owner DM', () => h.slack.messages(dm).length === 1);
    expect(JSON.stringify(h.slack.messages(dm)[0]!.blocks)).toContain('change freeze until Monday');
    expect(await h.auditEvents()).toContainEqual({
      type: 'approval.denied',
      approvalId: approval.id,
      by: { id: 'U0CAROL', name: 'carol' },
      reason: 'change freeze until Monday',
      decidedAt: new Date((await h.approvals.get(approval.id))!.decidedAt!).toISOString(),
    });
  });

  it('opens no modal for someone who may not vote, and refuses a submission from them', async () => {
    const approval = await h.posted((await h.open()).id);

    const { responseUrl } = await h.click(USERS.mallory, ActionId.Deny, approval);
    expect(await h.answer(responseUrl)).toContain('not in it');
    expect(h.slack.views()).toEqual([]);

    // A modal opened for Bob cannot be submitted by Mallory: the submission is checked again.
    await h.click(USERS.bob, ActionId.Deny, approval);
    await h.slack.waitFor('the deny modal', () => h.slack.views().length === 1);
    const answer = await h.submitDeny(USERS.mallory, h.slack.views()[0]!, 'no');
    expect(answer).toContain('not in it');
    expect((await h.approvals.get(approval.id))?.state).toBe('pending');
  });

  it('lets concurrent clicks from several approvers make exactly one transition', async () => {
    const approval = await h.posted((await h.open({ approvalsNeeded: 2 })).id);
    const people = [USERS.bob, USERS.carol, USERS.dave, USERS.erin];

    const answers = await Promise.all(people.map((person) => h.approve(person, approval)));

    expect(answers.filter((answer) => answer.includes('You approved'))).toHaveLength(1);
    expect(answers.filter((answer) => answer.includes('1/2 approvals so far'))).toHaveLength(1);
    expect(answers.filter((answer) => answer.includes('already approved'))).toHaveLength(2);
    const stored = await h.approvals.get(approval.id);
    expect(stored?.state).toBe('approved');
    expect(stored?.votes).toHaveLength(2);
    expect((await h.auditEvents()).filter((event) => event.type === 'approval.approved')).toHaveLength(1);
    expect(
      (await h.auditEvents()).filter((event) => event.type === 'vote' && event.outcome === 'accepted'),
    ).toHaveLength(2);
    await h.waitForMessage(approval, 'shows the approval', (text) => text.includes('*Approved*'));
  });

  it('settles an approve and a deny arriving together on one outcome, the same in Redis, Slack and audit', async () => {
    const approval = await h.posted((await h.open()).id);
    await h.click(USERS.carol, ActionId.Deny, approval);
    await h.slack.waitFor('the deny modal', () => h.slack.views().length === 1);

    const [approveAnswer, denyAnswer] = await Promise.all([
      h.approve(USERS.bob, approval),
      h.submitDeny(USERS.carol, h.slack.views()[0]!, 'race'),
    ]);

    const state = (await h.approvals.get(approval.id))?.state;
    expect(['approved', 'denied']).toContain(state);
    const winners = [approveAnswer.includes('You approved'), denyAnswer.includes('You denied')];
    expect(winners.filter(Boolean)).toHaveLength(1);
    expect(winners[0]).toBe(state === 'approved');
    const decisions = (await h.auditEvents()).filter(
      (event) => event.type === 'approval.approved' || event.type === 'approval.denied',
    );
    expect(decisions.map((event) => event.type)).toEqual([
      state === 'approved' ? 'approval.approved' : 'approval.denied',
    ]);
    const shown = state === 'approved' ? '*Approved*' : '*Denied*';
    await h.waitForMessage(approval, `shows ${shown}`, (text) => text.includes(shown));
    expect(h.messageText(approval)).not.toContain(state === 'approved' ? '*Denied*' : '*Approved*');
  });

  it('says a decided request is decided, and changes nothing', async () => {
    const approval = await h.posted((await h.open()).id);
    await h.approve(USERS.bob, approval);

    expect(await h.approve(USERS.carol, approval)).toContain('already approved by <@U0BOB>');
    expect(await votesOf(approval.id)).toHaveLength(1);
  });

  it('updates an expired request without a click, and refuses votes on it', async () => {
    const approval = await h.posted((await h.open()).id);

    h.clock.advance(600_001);
    expect(await h.approvals.sweepExpired()).toBe(1);

    await h.waitForMessage(approval, 'shows the expiry', (text) => text.includes('*Expired*'));
    expect(hasButtons(h.slack.message(approval.slack.channel, approval.slack.ts)!.blocks)).toBe(false);
    expect(await h.approve(USERS.bob, approval)).toContain('expired');
    expect(await votesOf(approval.id)).toEqual([]);
    const dm = h.slack.dmChannel(USERS.alice.id);
    await h.slack.waitFor('the owner DM', () => h.slack.messages(dm).length === 1);
    expect((await h.auditEvents()).filter((event) => event.type === 'approval.expired')).toEqual([
      { type: 'approval.expired', approvalId: approval.id },
    ]);
  });
});
