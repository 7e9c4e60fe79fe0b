import { type ApprovalRequest, describeChange } from '@gatehouse/approvals';
import { escapeInvisible, textHash } from '@gatehouse/policy';
import type { KnownBlock } from '@slack/web-api';
import type { RenderedMessage } from './approval.js';
import { code, escapeMarkup, plural } from './mrkdwn.js';

/** Escaped characters per code block: a section's text may hold 3,000. */
const PART = 2_800;
/** Blocks per message: Slack takes 50. */
const BLOCKS_PER_MESSAGE = 45;
/** Messages one click may answer with: a response_url takes five. */
const MAX_MESSAGES = 5;

/** Splits text into pieces whose mrkdwn-escaped form fits one code block, never inside a character. */
function pieces(readable: string): string[] {
  const parts: string[] = [];
  let current = '';
  let length = 0;
  for (const char of readable) {
    const size = escapeMarkup(char).length;
    if (length + size > PART) {
      parts.push(current);
      current = '';
      length = 0;
    }
    current += char;
    length += size;
  }
  if (current !== '' || parts.length === 0) parts.push(current);
  return parts;
}

/** One text, complete, as a heading (length and hash, to compare with the message) and its code blocks. */
function textBlocks(title: string, text: string): KnownBlock[] {
  const readable = escapeInvisible(text, { keepNewlines: true });
  const parts = pieces(readable);
  const about = `${plural([...readable].length, 'character')}, sha256 ${textHash(readable)}`;
  const heading = `*${title}*, complete (${about}${parts.length > 1 ? `, in ${parts.length} parts` : ''}):`;
  return [
    { type: 'section', text: { type: 'mrkdwn', text: heading } },
    ...parts.map(
      (part): KnownBlock => ({
        type: 'section',
        text: { type: 'mrkdwn', text: `\`\`\`${escapeMarkup(part).replace(/```/g, 'ˋˋˋ')}\`\`\`` },
      }),
    ),
  ];
}

/**
 * Everything the approval message may have shortened, complete: the command, why it is held and
 * the change (the dry-run diff, or the body where there was none). The answer to "Show everything"
 * and the follow-up of `/gatehouse show`. Texts come from the stored approval, never re-derived. A
 * change too large for five messages ends with a line that says how much is missing: still never
 * silent.
 */
export function renderComplete(approval: ApprovalRequest): RenderedMessage[] {
  const blocks: KnownBlock[] = [
    ...textBlocks('Command', approval.command),
    ...textBlocks('Why it is held', approval.reason),
  ];
  const change = approval.preview?.change;
  if (change) {
    const title = change.kind === 'diff' ? 'What it changes (server dry run)' : 'Request body (no dry run)';
    blocks.push(...textBlocks(title, describeChange(change)));
  } else {
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: '*What it changes*: no change preview for this request.' },
    });
  }
  const messages: RenderedMessage[] = [];
  for (let at = 0; at < blocks.length && messages.length < MAX_MESSAGES; at += BLOCKS_PER_MESSAGE) {
    const last = messages.length === MAX_MESSAGES - 1;
    const slice = blocks.slice(at, at + (last ? BLOCKS_PER_MESSAGE - 1 : BLOCKS_PER_MESSAGE));
    if (last && at + slice.length < blocks.length) {
      const missing = blocks.length - at - slice.length;
      slice.push({
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: `:warning: ${plural(missing, 'more part')} of ${code(approval.id)} do not fit in Slack's messages. Deny and ask for a smaller change, or read the approval in Redis.`,
        },
      });
    }
    messages.push({
      text: `Request ${approval.id}, complete (${messages.length + 1})`,
      blocks: slice,
    });
  }
  return messages;
}
