import type { PostJobData } from '@gatehouse/approvals';
import type { WebClient } from '@slack/web-api';
import type { Job } from 'bullmq';
import { SlackPostFailedError } from '../errors.js';
import { METADATA_EVENT_TYPE } from '../ids.js';
import type { ApprovalsPort, Log } from '../ports.js';
import { renderApproval } from '../render/approval.js';
import { findPostedMessage, isPostingMarker, type PostingMarker } from './history.js';

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

  return async function post(job: PostJob): Promise<PostOutcome> {
    const approval = await approvals.get(job.data.id);
    if (!approval) return 'gone';
    if (approval.slack) return 'already-posted';
    // Decided once per approval (a retry gets the same answer), atomically across replicas.
    if ((await approvals.place(approval.id, coalesceAfter)) === 'coalesced') return 'coalesced';

    if (isPostingMarker(job.progress)) {
      try {
        const ts = await findPostedMessage(
          client,
          channel,
          approval.createdAt,
          METADATA_EVENT_TYPE,
          (payload) => payload.approval_id === approval.id,
        );
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
