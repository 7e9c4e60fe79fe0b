import { createHmac } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type SlackApiFake, signedHeaders, slackSignature, startSlackApi } from './index.js';

let fake: SlackApiFake;

beforeEach(async () => {
  fake = await startSlackApi({ users: [{ id: 'U0ALICE', name: 'alice' }], usergroups: { S0SRE: ['U0BOB'] } });
});
afterEach(() => fake.close());

/** Calls the fake the way WebClient does: form-encoded, JSON for structured fields, bearer token. */
async function call(method: string, args: Record<string, unknown>, token = fake.token) {
  const form = new URLSearchParams();
  for (const [key, value] of Object.entries(args)) {
    form.set(key, typeof value === 'string' ? value : JSON.stringify(value));
  }
  const response = await fetch(`${fake.url}${method}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>,
  };
}

describe('slack api fake', () => {
  it('keeps the latest blocks of a message after chat.update', async () => {
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: 'first' } }];
    const posted = await call('chat.postMessage', { channel: 'C0APPROVALS', text: 'first', blocks });
    expect(posted.body).toMatchObject({ ok: true, channel: 'C0APPROVALS', message: { text: 'first' } });
    const ts = posted.body.ts as string;

    const updated = await call('chat.update', { channel: 'C0APPROVALS', ts, text: 'second', blocks: [] });
    expect(updated.body).toMatchObject({ ok: true, ts, text: 'second' });
    expect(fake.message('C0APPROVALS', ts)).toMatchObject({ text: 'second', blocks: [], updates: 1 });
    expect(fake.message('C0APPROVALS', ts)?.history).toEqual([{ text: 'first', blocks }]);
  });

  it("refuses blocks past Block Kit's limits with invalid_blocks, as Slack does, and keeps nothing", async () => {
    const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });
    const tooMany = await call('chat.postMessage', {
      channel: 'C0APPROVALS',
      text: 'x',
      blocks: Array.from({ length: 51 }, () => section('x')),
    });
    expect(tooMany.body).toEqual({
      ok: false,
      error: 'invalid_blocks',
      errors: ['no more than 50 items allowed [json-pointer:/blocks]'],
      response_metadata: { messages: ['[ERROR] no more than 50 items allowed [json-pointer:/blocks]'] },
    });
    const long = await call('chat.postMessage', {
      channel: 'C0APPROVALS',
      text: 'x',
      blocks: [section('y'.repeat(3000)), section('y'.repeat(3001))],
    });
    expect(long.body).toMatchObject({
      error: 'invalid_blocks',
      errors: ['must be less than 3001 characters [json-pointer:/blocks/1/text/text]'],
    });
    expect(fake.messages('C0APPROVALS')).toEqual([]);
    const atTheLimits = await call('chat.postMessage', {
      channel: 'C0APPROVALS',
      text: 'x',
      blocks: Array.from({ length: 50 }, () => section('z'.repeat(3000))),
    });
    expect(atTheLimits.body).toMatchObject({ ok: true });
    const ts = atTheLimits.body.ts as string;
    const header = { type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } };
    expect(
      (await call('chat.update', { channel: 'C0APPROVALS', ts, text: 'x', blocks: [header] })).body,
    ).toMatchObject({
      error: 'invalid_blocks',
      errors: ['must be less than 151 characters [json-pointer:/blocks/0/text/text]'],
    });
    expect(fake.message('C0APPROVALS', ts)?.updates).toBe(0);
  });

  it('answers chat.update of an unknown message with message_not_found', async () => {
    const result = await call('chat.update', { channel: 'C0APPROVALS', ts: '1.2', text: 'x' });
    expect(result.body).toEqual({ ok: false, error: 'message_not_found' });
  });

  it('rejects a wrong token with invalid_auth and changes nothing', async () => {
    const result = await call('chat.postMessage', { channel: 'C0APPROVALS', text: 'x' }, 'xoxb-wrong');
    expect(result.body).toEqual({ ok: false, error: 'invalid_auth' });
    expect(fake.messages()).toEqual([]);
  });

  it('plays scripted failures in order, then answers normally', async () => {
    fake.failNext('chat.postMessage', { kind: 'ratelimited', retryAfterSeconds: 7 });
    fake.failNext('chat.postMessage', { kind: 'error', error: 'channel_not_found' });
    const limited = await call('chat.postMessage', { channel: 'C1', text: 'x' });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('7');
    expect((await call('chat.postMessage', { channel: 'C1', text: 'x' })).body).toEqual({
      ok: false,
      error: 'channel_not_found',
    });
    expect((await call('chat.postMessage', { channel: 'C1', text: 'x' })).body.ok).toBe(true);
    expect(fake.messages('C1')).toHaveLength(1);
    expect(fake.calls('chat.postMessage').map((c) => c.status)).toEqual([429, 200, 200]);
  });

  it('lists user group members and opens DMs for known users only', async () => {
    expect((await call('usergroups.users.list', { usergroup: 'S0SRE' })).body).toEqual({
      ok: true,
      users: ['U0BOB'],
    });
    expect((await call('usergroups.users.list', { usergroup: 'S0NONE' })).body.error).toBe('no_such_subteam');
    const dm = await call('conversations.open', { users: 'U0ALICE' });
    expect(dm.body).toEqual({ ok: true, channel: { id: fake.dmChannel('U0ALICE') } });
    expect((await call('conversations.open', { users: 'U0NOBODY' })).body.error).toBe('user_not_found');
  });

  it('opens Socket Mode connections only for the app-level token', async () => {
    expect((await call('apps.connections.open', {})).body).toEqual({ ok: false, error: 'invalid_auth' });
    const opened = await call('apps.connections.open', {}, fake.appToken);
    expect(opened.body.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/socket-mode\?ticket=/);
    await expect(fake.socketMode.send('interactive', {})).rejects.toThrow('no Socket Mode connection');
  });

  it('records bodies posted to its response URLs and refuses unknown ones', async () => {
    const url = fake.responseUrl();
    const ok = await fetch(url, {
      method: 'POST',
      body: JSON.stringify({ text: 'hi', response_type: 'ephemeral' }),
    });
    expect(ok.status).toBe(200);
    const unknown = await fetch(`${url}x`, { method: 'POST', body: '{}' });
    expect(unknown.status).toBe(404);
    expect(fake.responses()).toEqual([
      { responseUrl: url, body: { text: 'hi', response_type: 'ephemeral' } },
    ]);
  });
});

describe('request signing', () => {
  it('signs v0:<timestamp>:<body> with HMAC-SHA256 as Slack documents', () => {
    const expected = createHmac('sha256', 'secret').update('v0:1531420618:token=x&text=y').digest('hex');
    expect(slackSignature('secret', 1531420618, 'token=x&text=y')).toBe(`v0=${expected}`);
    expect(signedHeaders('a=b', { signingSecret: 'secret', timestampSeconds: 42 })).toEqual({
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': '42',
      'x-slack-signature': slackSignature('secret', 42, 'a=b'),
    });
  });

  it('matches the example in the Slack documentation', () => {
    // https://api.slack.com/authentication/verifying-requests-from-slack
    const body =
      'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
    expect(slackSignature('8f742231b10e8888abcd99yyyzzz85a5', 1531420618, body)).toBe(
      'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
    );
  });
});
