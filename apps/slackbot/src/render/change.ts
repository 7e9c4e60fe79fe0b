import { type ApprovalRequest, describeChange } from '@gatehouse/approvals';
import type { KnownBlock } from '@slack/web-api';
import { clip, codeBlock } from './mrkdwn.js';

/** Escaped characters of the change shown in the message; "Show everything" has the rest. */
const MAX_CHANGE = 2_500;

/**
 * What a write would change: the field diff the gateway took from the server dry run (the truth; the
 * rule's one-line summary is context), or, where no dry run was possible, the request body and why.
 * A Secret's values never reach the approval (keys only), so they cannot reach Slack.
 */
export function changeBlocks(approval: ApprovalRequest): KnownBlock[] {
  const change = approval.preview?.change;
  if (!change) return [];
  const heading =
    change.kind === 'diff'
      ? `*What it changes* (live object → the server's dry run of this request; ${change.changes.length} field(s)):`
      : `:warning: *The change could not be previewed*: ${clip(change.reason, 500)}. The request body as received (${clip(change.contentType, 100)}):`;
  const text = change.kind === 'diff' ? describeChange(change) : change.text;
  return [
    { type: 'section', text: { type: 'mrkdwn', text: heading } },
    { type: 'section', text: { type: 'mrkdwn', text: codeBlock(text, MAX_CHANGE) } },
  ];
}
