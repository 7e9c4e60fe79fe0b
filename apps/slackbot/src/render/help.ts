import type { RenderedMessage } from './approval.js';

export function renderHelp(command: string): RenderedMessage {
  const text = [
    `*${command} pending* lists the requests waiting for approval (oldest first, a page at a time).`,
    `*${command} show <id>* shows one request: what it asks, its votes, and its audit trail.`,
    `*${command} help* shows this.`,
    'Approve or deny with the buttons on the request message in the approver channel.',
  ].join('\n');
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}
