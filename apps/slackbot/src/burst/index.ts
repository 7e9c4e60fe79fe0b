import { randomUUID } from 'node:crypto';
import type { BurstJobData } from '@gatehouse/approvals';
import type { WebClient } from '@slack/web-api';
import type { Job } from 'bullmq';
import { SlackPostFailedError } from '../errors.js';
import { BURST_METADATA_EVENT_TYPE } from '../ids.js';
import type { ApprovalsPort, Log } from '../ports.js';
import { findPostedMessage, isPostingMarker, type PostingMarker } from '../post/history.js';
import { updateMessage } from '../refresh/index.js';
import type { RenderedMessage } from '../render/approval.js';
import { BURST_SHOWN, renderBurst } from '../render/burst.js';

/** The parts of a BullMQ job the burst updater uses. */
export type BurstJob = Pick<Job<BurstJobData>, 'data' | 'progress' | 'updateProgress'>;

export type BurstOutcome =
  | 'posted'
  /** An earlier attempt posted but died before saving; found in the channel, not posted again. */
  | 'recovered'
  | 'updated'
  /** Nothing waits any more: the message says so and is forgotten (a later burst gets a new one). */
  | 'emptied'
  /** No message and nothing waiting. */
  | 'nothing-waiting';

export interface BurstUpdaterOptions {
  readonly approvals: Pick<ApprovalsPort, 'burst' | 'setBurstMessage'>;
  readonly client: WebClient;
  readonly channel: string;
  readonly coalesceAfter: number;
  readonly log: Log;
}

/**
 * Renders an agent's burst message from Redis: posts it the first time, then updates it in place.
 * Burst jobs run one at a time per agent (deduplicated by agent), so there is one message per agent.
 * As for approval messages, a posting marker (with a nonce stamped in the message's metadata, since
 * an agent has a new burst message per burst) lets a retry find a message its attempt posted but did
 * not save, instead of posting a second one.
 */
export function createBurstUpdater(options: BurstUpdaterOptions) {
  const { approvals, client, channel, coalesceAfter, log } = options;

  async function recover(agent: string, marker: PostingMarker): Promise<boolean> {
    try {
      const ts = await findPostedMessage(
        client,
        channel,
        marker.at,
        BURST_METADATA_EVENT_TYPE,
        (payload) => payload.agent === agent && payload.burst === marker.nonce,
      );
      if (ts === undefined) return false;
      await approvals.setBurstMessage(agent, { channel, ts });
      log.info({ agent, ts }, 'found the burst message an earlier attempt posted');
      return true;
    } catch (error) {
      log.warn(
        { err: error, agent },
        'cannot search the approver channel for an earlier burst message (grant channels:history/groups:history); posting again may duplicate it',
      );
      return false;
    }
  }

  async function post(job: BurstJob, message: RenderedMessage): Promise<'posted'> {
    const { agent } = job.data;
    const nonce = randomUUID();
    await job.updateProgress({ posting: true, at: Date.now(), nonce } satisfies PostingMarker);
    const posted = await client.chat.postMessage({
      channel,
      text: message.text,
      blocks: message.blocks,
      metadata: { event_type: BURST_METADATA_EVENT_TYPE, event_payload: { agent, burst: nonce } },
      unfurl_links: false,
      unfurl_media: false,
    });
    if (!posted.ts)
      throw new SlackPostFailedError(`burst of ${agent}`, 'chat.postMessage answered without a ts');
    await approvals.setBurstMessage(agent, { channel: posted.channel ?? channel, ts: posted.ts });
    log.info({ agent, ts: posted.ts }, 'burst message posted');
    return 'posted';
  }

  return async function update(job: BurstJob): Promise<BurstOutcome> {
    const { agent } = job.data;
    const recovered = isPostingMarker(job.progress) && (await recover(agent, job.progress));
    const view = await approvals.burst(agent, BURST_SHOWN);
    const message = renderBurst(view, coalesceAfter);
    if (!view.message) return view.total === 0 ? 'nothing-waiting' : await post(job, message);
    if (!(await updateMessage(client, view.message, message))) {
      // Deleted in Slack: the requests still wait, so they get a new message.
      log.warn({ agent, ...view.message }, 'burst message was deleted in Slack; posting a new one');
      await approvals.setBurstMessage(agent, undefined);
      return view.total === 0 ? 'emptied' : await post(job, message);
    }
    if (view.total === 0) {
      await approvals.setBurstMessage(agent, undefined);
      return 'emptied';
    }
    return recovered ? 'recovered' : 'updated';
  };
}
