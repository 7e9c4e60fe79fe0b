import type { ApprovalRequest, PostJobData } from '@gatehouse/approvals';
import type { WebClient } from '@slack/web-api';
import type { Job } from 'bullmq';
import { SlackPostFailedError } from '../errors.js';
import { METADATA_EVENT_TYPE } from '../ids.js';
import type { ApprovalsPort, Log } from '../ports.js';
import { renderApproval } from '../render/approval.js';

/** The parts of a BullMQ job the poster uses. */
export type PostJob = Pick<Job<PostJobData>, 'data' | 'progress' | 'updateProgress'>;

export type PostOutcome =
  /** Posted now. */
  | 'posted'
  /** The approval already knows its message (a duplicate job, or a restart after the save). */
  | 'already-posted'
  /** An earlier attempt posted but died before saving; found in the channel by its metadata, not posted again. */
  | 'recovered'
  /** The agent has `coalesceAfter` requests on their own messages: listed in its burst message instead. */
  | 'coalesced'
  /** The approval is gone (retention ran out before the post): nothing to do. */
  | 'gone';

export interface PosterOptions {
  readonly approvals: Pick<ApprovalsPort, 'get' | 'setSlackMessage' | 'place'>;
  readonly client: WebClient;
  readonly channel: string;
  /** slack.coalesceAfter: per agent, its pending requests with a message of their own at once. */
  readonly coalesceAfter: number;
  readonly log: Log;
}

/** Written to the job before chat.postMessage; seeing it on a later attempt means "maybe posted already". */
interface PostingMarker {
  readonly posting: true;
  readonly at: number;
}

const isPostingMarker = (progress: unknown): progress is PostingMarker =>
  typeof progress === 'object' && progress !== null && (progress as PostingMarker).posting === true;

/** How far back (pages of channel history) a retry looks for the message an earlier attempt posted. */
const HISTORY_PAGES = 5;

/**
 * Posts an approval's message once. Guarantee: the approval stores its message ref; the job id is
 * the approval id (one job per approval); and before posting, the job records a "posting" marker.
 * An attempt that finds the marker (the previous one died between post and save, or lost Slack's
 * answer) first searches the channel for a message carrying this approval id in its metadata and
 * saves that instead of posting again. Only if that search is impossible (the bot lacks
 * channels:history / groups:history) does a retry risk a second message; that is logged.
 * Under a burst (the agent already has `coalesceAfter` requests on their own messages) nothing is
 * posted: the request waits in the agent's burst message until it is promoted (burst/).
 */
export function createPoster(options: PosterOptions) {
  const { approvals, client, channel, coalesceAfter, log } = options;

  async function findPosted(approval: ApprovalRequest): Promise<string | undefined> {
    let cursor: string | undefined;
    for (let page = 0; page < HISTORY_PAGES; page += 1) {
      const history = await client.conversations.history({
        channel,
        // A minute of slack for clock skew between us and Slack.
        oldest: String(Math.floor(approval.createdAt / 1000) - 60),
        include_all_metadata: true,
        limit: 200,
        cursor,
      });
      const found = history.messages?.find(
        (message) =>
          message.metadata?.event_type === METADATA_EVENT_TYPE &&
          // The response type leaves event_payload untyped ({}); it is what we posted.
          (message.metadata.event_payload as { approval_id?: unknown } | undefined)?.approval_id ===
            approval.id,
      );
      if (found?.ts) return found.ts;
      cursor = history.response_metadata?.next_cursor;
      if (!history.has_more || !cursor) return undefined;
    }
    return undefined;
  }

  return async function post(job: PostJob): Promise<PostOutcome> {
    const approval = await approvals.get(job.data.id);
    if (!approval) return 'gone';
    if (approval.slack) return 'already-posted';
    // Decided once per approval (a retry gets the same answer), atomically across replicas.
    if ((await approvals.place(approval.id, coalesceAfter)) === 'coalesced') return 'coalesced';

    if (isPostingMarker(job.progress)) {
      try {
        const ts = await findPosted(approval);
        if (ts) {
          await approvals.setSlackMessage(approval.id, { channel, ts });
          log.info({ approvalId: approval.id, ts }, 'found the message an earlier attempt posted');
          return 'recovered';
        }
      } catch (error) {
        log.warn(
          { err: error, approvalId: approval.id },
          'cannot search the approver channel for an earlier post (grant channels:history/groups:history); posting again may duplicate it',
        );
      }
    }

    await job.updateProgress({ posting: true, at: Date.now() } satisfies PostingMarker);
    const message = renderApproval(approval);
    const posted = await client.chat.postMessage({
      channel,
      text: message.text,
      blocks: message.blocks,
      metadata: { event_type: METADATA_EVENT_TYPE, event_payload: { approval_id: approval.id } },
      unfurl_links: false,
      unfurl_media: false,
    });
    if (!posted.ts) throw new SlackPostFailedError(approval.id, 'chat.postMessage answered without a ts');
    // Slack answers with the channel id even when we addressed it by name.
    await approvals.setSlackMessage(approval.id, { channel: posted.channel ?? channel, ts: posted.ts });
    log.info({ approvalId: approval.id, channel: posted.channel, ts: posted.ts }, 'approval message posted');
    return 'posted';
  };
}
