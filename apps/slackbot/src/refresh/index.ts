import { ErrorCode, type WebAPIPlatformError, type WebClient } from '@slack/web-api';
import type { ApprovalsPort, Log } from '../ports.js';
import { type RenderedMessage, renderApproval } from '../render/approval.js';

export type RefreshOutcome =
  | 'updated'
  /** No message yet: the post job renders the current state when it posts. */
  | 'not-posted'
  | 'gone'
  /** Someone deleted the message in Slack; there is nothing to update. */
  | 'message-deleted';

export interface RefresherOptions {
  readonly approvals: Pick<ApprovalsPort, 'get'>;
  readonly client: WebClient;
  readonly log: Log;
}

const isPlatformError = (error: unknown, slackError: string): error is WebAPIPlatformError =>
  (error as WebAPIPlatformError)?.code === ErrorCode.PlatformError &&
  (error as WebAPIPlatformError).data?.error === slackError;

/**
 * Replaces a posted message's content with chat.update; false when someone deleted it in Slack
 * (`message_not_found`), which is the caller's to handle. Other failures throw (the job retries).
 */
export async function updateMessage(
  client: WebClient,
  where: { readonly channel: string; readonly ts: string },
  message: RenderedMessage,
): Promise<boolean> {
  try {
    await client.chat.update({
      channel: where.channel,
      ts: where.ts,
      text: message.text,
      blocks: message.blocks,
    });
    return true;
  } catch (error) {
    if (isPlatformError(error, 'message_not_found')) return false;
    throw error;
  }
}

/**
 * Re-renders an approval's message from its current state (votes, outcome, expiry) with chat.update.
 * Refresh jobs are deduplicated per approval and the last one queued during a run runs after it,
 * so the message converges on the latest state however votes interleave.
 */
export function createRefresher(options: RefresherOptions) {
  const { approvals, client, log } = options;
  return async function refresh(id: string): Promise<RefreshOutcome> {
    const approval = await approvals.get(id);
    if (!approval) return 'gone';
    if (!approval.slack) return 'not-posted';
    if (await updateMessage(client, approval.slack, renderApproval(approval))) return 'updated';
    log.warn({ approvalId: id, ...approval.slack }, 'approval message was deleted in Slack; not updating it');
    return 'message-deleted';
  };
}
