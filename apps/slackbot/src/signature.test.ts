import {
  blockActionsPayload,
  interactiveBody,
  postToSlackApp,
  signedHeaders,
  slashCommandBody,
} from '@gatehouse/testkit/slack-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ActionId, BlockId } from './ids.js';
import { CHANNEL, COMMAND, Harness, SIGNING_SECRET, USERS } from './test-support/index.js';

let h: Harness;
beforeEach(async () => {
  h = await new Harness().start();
});
afterEach(() => h.close());

/** A valid approve click body for Bob, with its own response_url. */
async function approveBody() {
  const approval = await h.posted((await h.open()).id);
  const responseUrl = h.slack.responseUrl();
  const body = interactiveBody(
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
  return { approval, body, responseUrl };
}

const now = () => Math.floor(Date.now() / 1000);

describe('Slack request signatures', () => {
  const forgeries: [string, (body: string) => { body: string; headers: Record<string, string> }][] = [
    ['unsigned', (body) => ({ body, headers: { 'content-type': 'application/x-www-form-urlencoded' } })],
    [
      'signed with the wrong secret',
      (body) => ({ body, headers: signedHeaders(body, { signingSecret: 'not-the-secret' }) }),
    ],
    [
      'stale (signed 6 minutes ago)',
      (body) => ({
        body,
        headers: signedHeaders(body, { signingSecret: SIGNING_SECRET, timestampSeconds: now() - 360 }),
      }),
    ],
    [
      'from the future (6 minutes ahead)',
      (body) => ({
        body,
        headers: signedHeaders(body, { signingSecret: SIGNING_SECRET, timestampSeconds: now() + 360 }),
      }),
    ],
    [
      'tampered after signing',
      (body) => ({
        body: body.replace('U0BOB', 'U0ERIN'),
        headers: signedHeaders(body, { signingSecret: SIGNING_SECRET }),
      }),
    ],
    [
      'signed with a different timestamp than it carries',
      (body) => {
        const headers = signedHeaders(body, { signingSecret: SIGNING_SECRET, timestampSeconds: now() - 10 });
        return { body, headers: { ...headers, 'x-slack-request-timestamp': String(now()) } };
      },
    ],
  ];

  it.each(forgeries)('rejects a click %s with 401 and records nothing', async (_name, forge) => {
    const { approval, body, responseUrl } = await approveBody();
    const forged = forge(body);

    const response = await postToSlackApp(h.url, forged.body, { headers: forged.headers });

    expect(response.status).toBe(401);
    const stored = await h.approvals.get(approval.id);
    expect(stored?.votes).toEqual([]);
    expect(stored?.state).toBe('pending');
    expect(await h.auditEvents()).toEqual([]);
    expect(h.slack.responses().filter((r) => r.responseUrl === responseUrl)).toEqual([]);
  });

  it('accepts the same click correctly signed (the forgeries above differ only in their signature)', async () => {
    const { approval, body, responseUrl } = await approveBody();

    const response = await postToSlackApp(h.url, body, { signingSecret: SIGNING_SECRET });

    expect(response.status).toBe(200);
    expect(await h.answer(responseUrl)).toContain('You approved');
    expect((await h.approvals.get(approval.id))?.state).toBe('approved');
  });

  it('rejects an unsigned slash command and answers nothing', async () => {
    const responseUrl = h.slack.responseUrl();
    const body = slashCommandBody({
      command: COMMAND,
      text: 'pending',
      user: USERS.mallory,
      channel: CHANNEL,
      responseUrl,
    });

    const response = await postToSlackApp(h.url, body, { signingSecret: 'not-the-secret' });

    expect(response.status).toBe(401);
    expect(h.slack.responses()).toEqual([]);
  });

  it('rejects a replayed signed click, so it is processed once', async () => {
    const { approval, body, responseUrl } = await approveBody();
    const headers = signedHeaders(body, { signingSecret: SIGNING_SECRET });

    const first = await postToSlackApp(h.url, body, { headers });
    const replay = await postToSlackApp(h.url, body, { headers });

    expect([first.status, replay.status]).toEqual([200, 401]);
    expect(await h.answer(responseUrl)).toContain('You approved');
    expect(h.slack.responses().filter((r) => r.responseUrl === responseUrl)).toHaveLength(1);
    expect((await h.approvals.get(approval.id))?.votes).toHaveLength(1);
    expect((await h.auditEvents()).filter((event) => event.type === 'vote')).toHaveLength(1);
  });
});
