import type { ApprovalRequest } from '@gatehouse/approvals';
import type { KnownBlock } from '@slack/web-api';
import { ActionId } from '../ids.js';
import type { RenderedMessage } from './approval.js';
import { code, duration, escapeText, plural } from './mrkdwn.js';

export interface PendingPageInput {
  readonly items: readonly ApprovalRequest[];
  readonly nextCursor?: string | undefined;
  /** All pending, not just this page. */
  readonly total: number;
  readonly now: number;
  /** The slash command, for the "next page" hint. */
  readonly command: string;
  readonly link: (approval: ApprovalRequest) => string | undefined;
}

function item(approval: ApprovalRequest, input: PendingPageInput): KnownBlock {
  const approvals = approval.votes.filter((vote) => vote.decision === 'approve').length;
  const link = input.link(approval);
  const id = link ? `<${link}|${escapeText(approval.id)}>` : code(approval.id);
  const expiresIn = approval.expiresAt - input.now;
  const lines = [
    `*${id}* ${code(approval.command, 200)}`,
    `${code(approval.agent)} on ${code(approval.cluster)} · asked ${duration(input.now - approval.createdAt)} ago · ${approvals}/${approval.approvalsNeeded} approvals · ${expiresIn > 0 ? `expires in ${duration(expiresIn)}` : 'expiring now'}${link ? '' : ' · not posted yet'}`,
  ];
  return { type: 'section', text: { type: 'mrkdwn', text: lines.join('\n') } };
}

/** One page of `/gatehouse pending`: a few blocks per request, and a way to the next page. */
export function renderPendingPage(input: PendingPageInput): RenderedMessage {
  if (input.total === 0 || input.items.length === 0) {
    const text = 'Nothing is waiting for approval.';
    return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
  }
  const summary = `*${plural(input.total, 'request')} waiting for approval*, oldest first (showing ${input.items.length})`;
  const blocks: KnownBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text: summary } }];
  for (const approval of input.items) blocks.push(item(approval, input));
  if (input.nextCursor) {
    blocks.push(
      {
        type: 'actions',
        elements: [
          {
            type: 'button',
            action_id: ActionId.PendingPage,
            text: { type: 'plain_text', text: 'Next page' },
            value: input.nextCursor,
          },
        ],
      },
      {
        type: 'context',
        elements: [
          { type: 'mrkdwn', text: `Or type ${code(`${input.command} pending ${input.nextCursor}`, 400)}` },
        ],
      },
    );
  }
  return { text: `${plural(input.total, 'request')} waiting for approval`, blocks };
}
