import type { WebClient } from '@slack/web-api';
import { SlackPostFailedError } from '../errors.js';
import { BURST_METADATA_EVENT_TYPE } from '../ids.js';
import type { ApprovalsPort, Log } from '../ports.js';
import { isPlatformError } from '../refresh/index.js';
import { BURST_SHOWN, renderBurst } from '../render/burst.js';

export type BurstOutcome =
  | 'posted'
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
 */
export function createBurstUpdater(options: BurstUpdaterOptions) {
  const { approvals, client, channel, coalesceAfter, log } = options;

  async function post(agent: string, message: ReturnType<typeof renderBurst>): Promise<'posted'> {
    const posted = await client.chat.postMessage({
      channel,
      text: message.text,
      blocks: message.blocks,
      metadata: { event_type: BURST_METADATA_EVENT_TYPE, event_payload: { agent } },
      unfurl_links: false,
      unfurl_media: false,
    });
    if (!posted.ts)
      throw new SlackPostFailedError(`burst of ${agent}`, 'chat.postMessage answered without a ts');
    await approvals.setBurstMessage(agent, { channel: posted.channel ?? channel, ts: posted.ts });
    log.info({ agent, ts: posted.ts }, 'burst message posted');
    return 'posted';
  }

  return async function update(agent: string): Promise<BurstOutcome> {
    const view = await approvals.burst(agent, BURST_SHOWN);
    const message = renderBurst(view, coalesceAfter);
    if (!view.message) return view.total === 0 ? 'nothing-waiting' : await post(agent, message);
    try {
      await client.chat.update({
        channel: view.message.channel,
        ts: view.message.ts,
        text: message.text,
        blocks: message.blocks,
      });
    } catch (error) {
      if (!isPlatformError(error, 'message_not_found')) throw error;
      // Deleted in Slack: the requests still wait, so they get a new message.
      log.warn({ agent, ...view.message }, 'burst message was deleted in Slack; posting a new one');
      await approvals.setBurstMessage(agent, undefined);
      return view.total === 0 ? 'emptied' : await post(agent, message);
    }
    if (view.total > 0) return 'updated';
    await approvals.setBurstMessage(agent, undefined);
    return 'emptied';
  };
}
