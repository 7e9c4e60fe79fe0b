import type { ApprovalRequest, BurstView } from '@gatehouse/approvals';
import type { KnownBlock } from '@slack/web-api';
import { ActionId } from '../ids.js';
import type { RenderedMessage } from './approval.js';
import { code, date, plural } from './mrkdwn.js';

/** Waiting requests a burst message lists, each with its button (Slack shows at most 50 blocks). */
export const BURST_SHOWN = 10;

function line(approval: ApprovalRequest): KnownBlock {
  return {
    type: 'section',
    text: {
      type: 'mrkdwn',
      text: `${code(approval.command, 300)}\non ${code(approval.cluster)} · rule ${code(approval.rule)} · expires ${date(approval.expiresAt)} · ${code(approval.id)}`,
    },
    accessory: {
      type: 'button',
      action_id: ActionId.PostForReview,
      text: { type: 'plain_text', text: 'Post for review' },
      value: approval.id,
    },
  };
}

/**
 * An agent's burst message: its requests that have no message of their own yet, oldest first (the
 * order they get one). Nothing here decides anything: "Post for review" only posts the request's
 * own message, where it is approved or denied like any other.
 */
export function renderBurst(view: BurstView, coalesceAfter: number): RenderedMessage {
  const agent = code(view.agent);
  if (view.total === 0) {
    const text = `No more requests of ${agent} are waiting: each has its own message, or has ended.`;
    return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
  }
  const heading = `*${agent} has ${plural(view.total, 'more request')} waiting for review*`;
  const why = `At most ${plural(coalesceAfter, 'request')} of one agent have their own message at once; when one of them ends, the oldest here gets its message. Each is still approved or denied on its own message: *Post for review* posts it now.`;
  const blocks: KnownBlock[] = [
    { type: 'section', text: { type: 'mrkdwn', text: heading } },
    { type: 'context', elements: [{ type: 'mrkdwn', text: why }] },
    ...view.waiting.map(line),
  ];
  const unlisted = view.total - view.waiting.length;
  if (unlisted > 0) {
    blocks.push({
      type: 'context',
      elements: [
        { type: 'mrkdwn', text: `and ${plural(unlisted, 'more')}, listed here as those above leave` },
      ],
    });
  }
  return { text: `${view.agent} has ${plural(view.total, 'more request')} waiting for review`, blocks };
}
