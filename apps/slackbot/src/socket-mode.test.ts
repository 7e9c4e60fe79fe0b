import { blockActionsPayload } from '@gatehouse/testkit/slack-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ActionId, BlockId } from './ids.js';
import { CHANNEL, COMMAND, Harness, USERS } from './test-support/index.js';

let h: Harness;
beforeEach(async () => {
  h = await new Harness({ socketMode: true }).start();
  await h.slack.waitFor('the Socket Mode connection', () => h.slack.socketMode.connections === 1);
});
afterEach(() => h.close());

describe('Socket Mode', () => {
  it('takes an Approve click over the socket, acks it, and counts the vote', async () => {
    expect(h.bot?.mode).toBe('socket');
    const approval = await h.posted((await h.open()).id);
    const responseUrl = h.slack.responseUrl();

    const ack = await h.slack.socketMode.send(
      'interactive',
      blockActionsPayload({
        user: USERS.bob,
        channel: approval.slack.channel,
        messageTs: approval.slack.ts,
        actionId: ActionId.Approve,
        value: approval.id,
        responseUrl,
        blockId: BlockId.Actions,
      }),
    );

    expect(ack.envelope_id).toBeTruthy();
    expect(await h.answer(responseUrl)).toContain('You approved');
    expect((await h.approvals.get(approval.id))?.state).toBe('approved');
    await h.waitForMessage(approval, 'shows the approval', (text) => text.includes('*Approved*'));
  });

  it('refuses a non-member over the socket too', async () => {
    const approval = await h.posted((await h.open()).id);
    const responseUrl = h.slack.responseUrl();

    await h.slack.socketMode.send(
      'interactive',
      blockActionsPayload({
        user: USERS.mallory,
        channel: approval.slack.channel,
        messageTs: approval.slack.ts,
        actionId: ActionId.Approve,
        value: approval.id,
        responseUrl,
      }),
    );

    expect(await h.answer(responseUrl)).toContain('not in it');
    expect((await h.approvals.get(approval.id))?.votes).toEqual([]);
  });

  it('answers the slash command over the socket', async () => {
    const responseUrl = h.slack.responseUrl();
    await h.slack.socketMode.send('slash_commands', {
      command: COMMAND,
      text: 'help',
      user_id: USERS.mallory.id,
      user_name: USERS.mallory.name,
      channel_id: CHANNEL,
      team_id: h.slack.teamId,
      response_url: responseUrl,
      trigger_id: 'trigger',
    });
    expect(await h.answer(responseUrl)).toContain('/gatehouse pending');
  });

  it('serves /healthz and no HTTP Slack endpoint', async () => {
    expect((await fetch(new URL('/healthz', h.url))).status).toBe(200);
    expect((await fetch(h.url, { method: 'POST', body: 'payload={}' })).status).toBe(404);
  });
});
