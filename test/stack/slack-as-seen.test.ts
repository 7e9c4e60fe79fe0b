import { describe, expect, it } from 'vitest';
import { slackAsSeen } from './slack-as-seen.js';

const names = { U0BOB: 'bob', U0ALICE: 'alice' };
// 2026-12-02T04:33:36Z
const at = 1_796_186_016;

describe('slackAsSeen', () => {
  it('renders mentions, dates, emoji and marks as the Slack client shows them', () => {
    const blocks = [
      { type: 'header', text: { type: 'plain_text', text: 'Approval needed: kubectl delete ns a&amp;b' } },
      {
        type: 'section',
        fields: [
          { type: 'mrkdwn', text: '*Requester*\n`agent-oncall` (owned by <@U0ALICE>)' },
          {
            type: 'mrkdwn',
            text: `*Expires*\n<!date^${at}^{date_short_pretty} at {time_secs}|2026-12-02T04:33:36Z>`,
          },
        ],
      },
      {
        type: 'section',
        text: { type: 'mrkdwn', text: ':rocket: *Approved* by <@U0BOB>; see <https://x.example/a|the log>' },
      },
      { type: 'section', text: { type: 'mrkdwn', text: '```kubectl delete namespace :rocket: *x*```' } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: 'Request `3s33` · :mag: _grey_' }] },
      {
        type: 'actions',
        elements: [
          { type: 'button', text: { type: 'plain_text', text: 'Approve' } },
          { type: 'button', text: { type: 'plain_text', text: 'Deny' } },
        ],
      },
    ];
    const seen = slackAsSeen(blocks, { names, now: at * 1000, timeZone: 'UTC' });
    expect(seen).toBe(
      [
        'APPROVAL NEEDED: KUBECTL DELETE NS A&B',
        'Requester: agent-oncall (owned by @alice)',
        'Expires: Today at 4:33:36 AM',
        '🚀 Approved by @bob; see the log',
        '    kubectl delete namespace :rocket: *x*',
        'Request 3s33 · 🔍 grey',
        '[ Approve ] [ Deny ]',
      ].join('\n'),
    );
    expect(seen).not.toMatch(/<[@!]|:rocket: \*A/);
  });

  it('says Yesterday / a date for other days, in the reader’s time zone', () => {
    const block = {
      type: 'section',
      text: { type: 'mrkdwn', text: `<!date^${at}^{date_short_pretty} {time}|x>` },
    };
    expect(slackAsSeen([block], { names, now: (at + 86_400) * 1000, timeZone: 'UTC' })).toBe(
      'Yesterday 4:33 AM',
    );
    expect(slackAsSeen([block], { names, now: (at + 5 * 86_400) * 1000, timeZone: 'Asia/Tokyo' })).toBe(
      'Dec 2, 2026 1:33 PM',
    );
  });
});
