import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Harness, USERS } from '../test-support/index.js';

let h: Harness;
beforeEach(async () => {
  h = await new Harness().start();
});
afterEach(() => h.close());

describe('approve clicks', () => {
  it('counts a click by a member of the approver group and updates the message', async () => {
    const approval = await h.posted((await h.open()).id);
    expect(h.messageText(approval)).toContain('0/1');

    const answer = await h.approve(USERS.bob, approval);

    expect(answer).toContain('You approved');
    expect((await h.approvals.get(approval.id))?.state).toBe('approved');
    await h.waitForMessage(approval, 'shows the approval', (text) => text.includes('*Approved*'));
    const message = h.slack.message(approval.slack.channel, approval.slack.ts)!;
    expect(message.blocks.some((block) => (block as { type: string }).type === 'actions')).toBe(false);
    expect(h.messageText(approval)).toContain('<@U0BOB> approved');
  });
});
