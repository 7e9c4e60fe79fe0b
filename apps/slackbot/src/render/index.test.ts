import type { ApprovalRequest } from '@gatehouse/approvals';
import type { KnownBlock } from '@slack/web-api';
import { describe, expect, it } from 'vitest';
import { blocksText, openInput } from '../test-support/index.js';
import { renderApproval } from './approval.js';

/** Text Slack parses as mrkdwn: everything but the header, which is plain_text (never parsed for mentions). */
const mrkdwnOf = (blocks: KnownBlock[]) => blocksText(blocks.filter((block) => block.type !== 'header'));

function approval(overrides: Partial<ApprovalRequest> = {}): ApprovalRequest {
  return {
    ...openInput({ approvalsNeeded: 2 }),
    id: 'abc123',
    fingerprint: 'f'.repeat(64),
    createdAt: 1_750_000_000_000,
    expiresAt: 1_750_000_600_000,
    state: 'pending',
    votes: [],
    revision: 1,
    ...overrides,
  };
}

describe('approval message', () => {
  it('escapes what the agent controls, so it cannot mention a channel or fake a link', () => {
    const rendered = renderApproval(
      approval({ command: 'kubectl delete pod <!channel> & <https://evil|click>', reason: '<!here>' }),
    );
    expect(rendered.blocks[0]).toMatchObject({ type: 'header', text: { type: 'plain_text' } });
    const text = `${rendered.text}\n${mrkdwnOf(rendered.blocks)}`;
    expect(text).not.toContain('<!channel>');
    expect(text).not.toContain('<!here>');
    expect(text).not.toContain('<https://evil');
    expect(text).toContain('&lt;!channel&gt; &amp; &lt;https://evil|click&gt;');
  });

  it('escapes a deny reason', () => {
    const rendered = renderApproval(
      approval({
        state: 'denied',
        deniedBy: 'U0BOB',
        denyReason: '<!everyone> no',
        decidedAt: 1_750_000_100_000,
      }),
    );
    expect(blocksText(rendered.blocks)).toContain('&lt;!everyone&gt; no');
  });

  it('shows buttons only while pending', () => {
    const types = (a: ApprovalRequest) => renderApproval(a).blocks.map((block) => block.type);
    expect(types(approval())).toContain('actions');
    for (const state of ['approved', 'denied', 'expired', 'dispatched', 'completed'] as const) {
      expect(types(approval({ state }))).not.toContain('actions');
    }
  });

  it('shows the upstream status once dispatched', () => {
    const rendered = renderApproval(
      approval({
        state: 'completed',
        votes: [{ userId: 'U0BOB', decision: 'approve', at: 1_750_000_100_000 }],
        dispatch: { via: 'hold', holder: 'gw-1', at: 1_750_000_100_500, status: 200 },
      }),
    );
    expect(blocksText(rendered.blocks)).toContain('upstream answered 200');
  });

  it('keeps code spans closed when the command has backticks', () => {
    const rendered = renderApproval(approval({ command: 'kubectl exec x -- sh -c "```; echo `id`"' }));
    expect(mrkdwnOf(rendered.blocks)).not.toContain('```;');
  });
});
