import type { ApprovalRequest } from '@gatehouse/approvals';
import type { KnownBlock } from '@slack/web-api';
import type { TrailEntry } from '../ports.js';
import { type RenderedMessage, renderApproval } from './approval.js';
import { code, escapeText, truncate } from './mrkdwn.js';

/** Slack allows 50 blocks per message; the trail gets what the request itself leaves. */
const MAX_TRAIL_LINES = 40;

/** `/gatehouse show <id>`: the approval as its message shows it (no buttons), a link, and its audit trail. */
export function renderShow(
  approval: ApprovalRequest,
  link: string | undefined,
  trail: readonly TrailEntry[] | undefined,
): RenderedMessage {
  const blocks: KnownBlock[] = renderApproval(approval).blocks.filter((block) => block.type !== 'actions');
  if (link)
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `<${link}|Open the approval message>` } });
  if (trail !== undefined) {
    const lines = trail
      .slice(-MAX_TRAIL_LINES)
      .map(
        (entry) =>
          `${code(entry.time)} ${code(entry.type)}${entry.detail ? ` ${escapeText(truncate(entry.detail, 200))}` : ''}`,
      );
    const text =
      lines.length > 0 ? `*Audit trail*\n${lines.join('\n')}` : '*Audit trail*\nno events recorded';
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: truncate(text, 2_900) } });
  }
  return { text: `Request ${approval.id}: ${approval.state}`, blocks };
}
