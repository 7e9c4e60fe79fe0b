import type { ApprovalRequest } from '@gatehouse/approvals';
import type { RenderedMessage } from './approval.js';
import { outcomeLine } from './approval.js';
import { clip, code } from './mrkdwn.js';

function stateWords(approval: ApprovalRequest): string {
  if (approval.state === 'completed' || approval.state === 'dispatched') return 'approved';
  if (approval.state === 'stale') return 'approved but not sent (its target changed)';
  return approval.state;
}

/** The DM an agent's owners get when its request is decided. */
export function renderDecisionDm(approval: ApprovalRequest, link: string | undefined): RenderedMessage {
  const what = `${code(approval.command, 500)} on ${code(approval.cluster)} by agent ${code(approval.agent)}`;
  const where = link ? ` <${link}|See the approval message>.` : '';
  return {
    text: `Your agent's request ${clip(approval.command, 200)} was ${stateWords(approval)}`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `Request ${code(approval.id)}: ${what}.${where}` } },
      { type: 'section', text: { type: 'mrkdwn', text: outcomeLine(approval) } },
    ],
  };
}
