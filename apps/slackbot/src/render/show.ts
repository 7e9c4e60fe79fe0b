import type { ApprovalRequest } from '@gatehouse/approvals';
import type { KnownBlock } from '@slack/web-api';
import type { TrailEntry } from '../ports.js';
import { type RenderedMessage, renderApproval } from './approval.js';
import { renderComplete } from './complete.js';
import { clip, code } from './mrkdwn.js';

/** Slack allows 50 blocks per message; the trail gets what the request itself leaves. */
const MAX_TRAIL_LINES = 40;
/** A section's text may hold 3,000 characters. */
const MAX_SECTION = 2_900;

/**
 * `/gatehouse show <id>`: the approval as its message shows it (no buttons), a link, and its audit
 * trail; then, in the messages after it, everything the message shortened, complete.
 */
export function renderShow(
  approval: ApprovalRequest,
  link: string | undefined,
  trail: readonly TrailEntry[] | undefined,
): RenderedMessage {
  const blocks: KnownBlock[] = renderApproval(approval).blocks.filter((block) => block.type !== 'actions');
  if (link)
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `<${link}|Open the approval message>` } });
  if (trail !== undefined) blocks.push(trailBlock(approval.id, trail));
  return { text: `Request ${approval.id}: ${approval.state}`, blocks, more: renderComplete(approval) };
}

/** The newest events that fit one section; how many are left out is said, never silently dropped. */
function trailBlock(approvalId: string, trail: readonly TrailEntry[]): KnownBlock {
  const lines = trail.map(
    (entry) => `${code(entry.time)} ${code(entry.type)}${entry.detail ? ` ${clip(entry.detail, 200)}` : ''}`,
  );
  const kept: string[] = [];
  let length = 0;
  for (const line of lines.slice(-MAX_TRAIL_LINES).reverse()) {
    if (length + line.length + 1 > MAX_SECTION - 200) break;
    kept.unshift(line);
    length += line.length + 1;
  }
  const left = lines.length - kept.length;
  const note =
    left > 0
      ? [
          `_${left} earlier event(s) left out here; ${code(`gatehouse-audit show ${approvalId}`)} has them all._`,
        ]
      : [];
  const text =
    lines.length > 0 ? ['*Audit trail*', ...note, ...kept].join('\n') : '*Audit trail*\nno events recorded';
  return { type: 'section', text: { type: 'mrkdwn', text } };
}
