import type { ApprovalRequest, NotifyJobData } from '@gatehouse/approvals';
import type { WebClient } from '@slack/web-api';
import type { Job } from 'bullmq';
import type { ApprovalsPort, Log } from '../ports.js';
import { renderDecisionDm } from '../render/decision.js';

export type NotifyJob = Pick<Job<NotifyJobData>, 'data' | 'progress' | 'updateProgress'>;

/** What an earlier attempt of the same job already did, so a retry does not repeat it. */
interface NotifyProgress {
  /** Owners already sent the DM. */
  readonly sent: readonly string[];
}

export interface NotifierOptions {
  readonly approvals: Pick<ApprovalsPort, 'get'>;
  readonly client: WebClient;
  readonly log: Log;
  readonly permalink: (approval: ApprovalRequest) => string | undefined;
}

/**
 * DMs the requesting agent's owners the outcome (conversations.open + chat.postMessage), once per
 * approval and outcome (a grant that lapsed unused corrects an earlier "approved").
 */
export function createNotifier(options: NotifierOptions) {
  const { approvals, client, log } = options;
  return async function notify(job: NotifyJob): Promise<number> {
    const approval = await approvals.get(job.data.id);
    if (!approval || approval.state === 'pending') return 0;
    const progress = job.progress as Partial<NotifyProgress> | undefined;
    const sent = new Set(progress?.sent ?? []);
    const message = renderDecisionDm(approval, options.permalink(approval));
    for (const owner of approval.owners) {
      if (sent.has(owner)) continue;
      const dm = await client.conversations.open({ users: owner });
      if (!dm.channel?.id) continue;
      await client.chat.postMessage({ channel: dm.channel.id, text: message.text, blocks: message.blocks });
      sent.add(owner);
      await job.updateProgress({ sent: [...sent] } satisfies NotifyProgress);
    }
    log.info(
      { approvalId: approval.id, state: approval.state, owners: sent.size },
      'owners told of the decision',
    );
    return sent.size;
  };
}
