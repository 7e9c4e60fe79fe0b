import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ActionId } from '../ids.js';
import { blocksText, Harness, openInput, REDIS_URL, USERS } from '../test-support/index.js';
import { parseCommand } from './index.js';

describe('parseCommand', () => {
  it.each([
    ['', { kind: 'help' }],
    ['help', { kind: 'help' }],
    ['  pending ', { kind: 'pending' }],
    ['PENDING 0000001750000000000:abc', { kind: 'pending', cursor: '0000001750000000000:abc' }],
    ['show k3x9', { kind: 'show', id: 'k3x9' }],
    ['show', { kind: 'unknown', text: 'show' }],
    ['show a b', { kind: 'unknown', text: 'show a b' }],
    ['show <!channel>', { kind: 'unknown', text: 'show <!channel>' }],
    ['approve k3x9', { kind: 'unknown', text: 'approve k3x9' }],
  ])('%j', (text, expected) => {
    expect(parseCommand(text)).toEqual(expected);
  });
});

describe('the slash command', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await new Harness().start();
  });
  afterEach(() => h.close());

  const textOf = (body: Record<string, unknown>) => `${String(body.text)}\n${blocksText(body.blocks)}`;

  it('answers `pending` with nothing waiting, for the caller only', async () => {
    const body = await h.slash(USERS.mallory, 'pending');
    expect(body.response_type).toBe('ephemeral');
    expect(textOf(body)).toContain('Nothing is waiting for approval.');
  });

  it('lists one pending request with its requester, command, age, votes, expiry and link', async () => {
    const approval = await h.posted((await h.open({ approvalsNeeded: 2 })).id);
    await h.approve(USERS.bob, approval);
    h.clock.advance(5 * 60_000);

    const body = await h.slash(USERS.mallory, 'pending');

    const text = textOf(body);
    expect(body.response_type).toBe('ephemeral');
    expect(text).toContain('1 request waiting');
    expect(text).toContain(approval.command);
    expect(text).toContain('`agent-oncall` on `prod`');
    expect(text).toMatch(/asked \dm ago/);
    expect(text).toContain('1/2 approvals');
    expect(text).toContain('expires in');
    const link = `https://gatehouse-test.slack.com/archives/${approval.slack.channel}/p${approval.slack.ts.replace('.', '')}`;
    expect(text).toContain(`<${link}|${approval.id}>`);
    expect(JSON.stringify(body.blocks)).not.toContain(ActionId.PendingPage);
  });

  it('pages through 5,000 pending requests', async () => {
    await h.stopBot();
    for (let batch = 0; batch < 10; batch += 1) {
      await Promise.all(
        Array.from({ length: 500 }, (_, i) => h.approvals.open(openInput({ command: `web-${batch}-${i}` }))),
      );
    }
    // Posting 5,000 messages is not what this test is about: drop the post jobs before the bot starts.
    const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const posts = new Queue(h.approvals.queueNames.approvals, { connection });
    await posts.obliterate({ force: true });
    await posts.close();
    await connection.quit();
    await h.startBot();
    expect(await h.approvals.countPending()).toBe(5000);

    const first = await h.slash(USERS.mallory, 'pending');

    expect(textOf(first)).toContain('5,000 requests waiting for approval');
    const firstIds = idsIn(first);
    expect(firstIds).toHaveLength(10);
    const next = nextButton(first);
    expect(textOf(first)).toContain(`/gatehouse pending ${next}`);

    // The Next page button replaces the page with the following one.
    const { responseUrl } = await h.click(
      USERS.mallory,
      ActionId.PendingPage,
      await h.approvals.get(firstIds[0]!).then((a) => a!),
      next,
    );
    await h.answer(responseUrl);
    const second = h.slack.responses().find((response) => response.responseUrl === responseUrl)!.body;
    expect(second.replace_original).toBe(true);
    const secondIds = idsIn(second);
    expect(secondIds).toHaveLength(10);
    expect(secondIds.filter((id) => firstIds.includes(id))).toEqual([]);

    // The typed cursor gives the same page.
    expect(idsIn(await h.slash(USERS.mallory, `pending ${next}`))).toEqual(secondIds);
  });

  it('shows one request with its votes and its audit trail', async () => {
    const approval = await h.posted((await h.open({ approvalsNeeded: 2 })).id);
    await h.approve(USERS.mallory, approval);
    await h.approve(USERS.bob, approval);

    const text = textOf(await h.slash(USERS.mallory, `show ${approval.id}`));

    expect(text).toContain(approval.command);
    expect(text).toContain('<@U0BOB> approved');
    expect(text).toContain('1/2');
    expect(text).toContain('Open the approval message');
    expect(text).toContain('*Audit trail*');
    expect(text).toContain('mallory (U0MALLORY) voted approve, refused: not-member');
    expect(text).toContain('bob (U0BOB) voted approve, accepted (1/2)');
  });

  it('says when a request does not exist, and explains itself on help or a typo', async () => {
    expect(textOf(await h.slash(USERS.mallory, 'show nope'))).toContain('There is no request `nope`');
    expect(textOf(await h.slash(USERS.mallory, 'help'))).toContain('/gatehouse pending');
    expect(textOf(await h.slash(USERS.mallory, 'approve all'))).toContain('I do not know `approve all`');
  });
});

/** Approval ids linked in a pending page, in order. */
function idsIn(body: Record<string, unknown>): string[] {
  return [...blocksText(body.blocks).matchAll(/\*(?:<[^|]+\|([^>]+)>|`([^`]+)`)\*/g)].map(
    (match) => match[1] ?? match[2]!,
  );
}

function nextButton(body: Record<string, unknown>): string {
  const actions = (
    body.blocks as { type: string; elements?: { action_id?: string; value?: string }[] }[]
  ).find((block) => block.type === 'actions');
  const button = actions?.elements?.find((element) => element.action_id === ActionId.PendingPage);
  if (!button?.value) throw new Error('no Next page button');
  return button.value;
}
