import type { WebClient } from '@slack/web-api';

/** How far back (pages of channel history) a retry looks for the message an earlier attempt posted. */
const HISTORY_PAGES = 5;

/** Written to a job before chat.postMessage; seeing it on a later attempt means "maybe posted already". */
export interface PostingMarker {
  readonly posting: true;
  readonly at: number;
  /** Stamped in the message's metadata when the metadata alone does not say which post it was. */
  readonly nonce?: string | undefined;
}

export const isPostingMarker = (progress: unknown): progress is PostingMarker =>
  typeof progress === 'object' && progress !== null && (progress as PostingMarker).posting === true;

/**
 * The ts of a message in the channel, posted since `sinceMs`, whose metadata has this event type
 * and whose payload `matches`: how a retry finds what an attempt that died after posting posted.
 * Needs channels:history / groups:history (throws without).
 */
export async function findPostedMessage(
  client: WebClient,
  channel: string,
  sinceMs: number,
  eventType: string,
  matches: (payload: Record<string, unknown>) => boolean,
): Promise<string | undefined> {
  let cursor: string | undefined;
  for (let page = 0; page < HISTORY_PAGES; page += 1) {
    const history = await client.conversations.history({
      channel,
      // A minute of slack for clock skew between us and Slack.
      oldest: String(Math.floor(sinceMs / 1000) - 60),
      include_all_metadata: true,
      limit: 200,
      cursor,
    });
    const found = history.messages?.find(
      (message) =>
        message.metadata?.event_type === eventType &&
        // The response type leaves event_payload untyped ({}); it is what we posted.
        matches((message.metadata.event_payload ?? {}) as Record<string, unknown>),
    );
    if (found?.ts) return found.ts;
    cursor = history.response_metadata?.next_cursor;
    if (!history.has_more || !cursor) return undefined;
  }
  return undefined;
}
