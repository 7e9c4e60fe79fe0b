import type { ApprovalRequest } from '@gatehouse/approvals';
import type { ModalView } from '@slack/web-api';
import { BlockId, DENY_REASON_INPUT, ViewId } from '../ids.js';
import { code } from './mrkdwn.js';

/** Carried in the modal's private_metadata (Slack echoes it back, signed, on submission). */
export interface DenyMetadata {
  readonly id: string;
  /** Where to answer the denier, since a submission has no response_url; the approval message's channel. */
  readonly channel: string;
  /**
   * The approval message the Deny button was clicked on, checked again on submission like a click's
   * origin. Absent in modals opened before it was recorded: those submissions are refused.
   */
  readonly ts?: string | undefined;
}

/** The modal for a Deny click on `message`, the approval's own message (the click was checked against it). */
export function denyModal(approval: ApprovalRequest, message: { channel: string; ts: string }): ModalView {
  const metadata: DenyMetadata = { id: approval.id, channel: message.channel, ts: message.ts };
  return {
    type: 'modal',
    callback_id: ViewId.DenyReason,
    private_metadata: JSON.stringify(metadata),
    title: { type: 'plain_text', text: 'Deny request' },
    submit: { type: 'plain_text', text: 'Deny' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: `Deny ${code(approval.command, 500)} on ${code(approval.cluster)} (request ${code(approval.id)})? Nothing will reach the cluster.`,
        },
      },
      {
        type: 'input',
        block_id: BlockId.DenyReason,
        optional: true,
        label: { type: 'plain_text', text: 'Reason (the requester sees it)' },
        element: { type: 'plain_text_input', action_id: DENY_REASON_INPUT, multiline: true, max_length: 500 },
      },
    ],
  };
}

export function parseDenyMetadata(text: string): DenyMetadata | undefined {
  try {
    const value = JSON.parse(text) as Partial<DenyMetadata>;
    return typeof value.id === 'string' && typeof value.channel === 'string'
      ? { id: value.id, channel: value.channel, ts: typeof value.ts === 'string' ? value.ts : undefined }
      : undefined;
  } catch {
    return undefined;
  }
}
