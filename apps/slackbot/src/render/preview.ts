import { type ApprovalRequest, describePreview } from '@gatehouse/approvals';
import type { KnownBlock } from '@slack/web-api';
import { clip } from './mrkdwn.js';

/**
 * The blast radius the gateway read from the cluster, one context line: what would go, and the dry
 * run's verdict — or why the preview is unavailable. Nothing while it is read (or when turned off).
 */
export function previewBlock(approval: ApprovalRequest): KnownBlock | undefined {
  const { preview } = approval;
  if (!preview) return undefined;
  const line = describePreview(preview);
  if (line === '') return undefined;
  const icon = preview.status === 'ready' ? ':mag:' : ':grey_question:';
  // Names come from the cluster and the agent's request: escaped like everything else.
  return {
    type: 'context',
    elements: [{ type: 'mrkdwn', text: `${icon} *Blast radius:* ${clip(line, 1_500)}` }],
  };
}
