import type { ApprovalRequest, NotifyJobData } from '@gatehouse/approvals';
import type { WebClient } from '@slack/web-api';
import type { Job } from 'bullmq';
import type { ApprovalsPort, Log } from '../ports.js';
import { renderCorrectionDm, renderDecisionDm } from '../render/decision.js';

export type NotifyJob = Pick<Job<NotifyJobData>, 'data' | 'progress' | 'updateProgress'>;

/** What an earlier attempt of the same job already did, so a retry does not repeat it. */
interface NotifyProgress {
  /** Users already sent the DM. */
  readonly sent: readonly string[];
}

export interface NotifierOptions {
  readonly approvals: Pick<ApprovalsPort, 'get'>;
  readonly client: WebClient;
  readonly log: Log;
  readonly permalink: (approval: ApprovalRequest) => string | undefined;
}

/**
 * An approver's click was answered with an ephemeral reply ("approved — … sends it next"), which
 * Slack cannot edit later: chat.update refuses ephemeral messages, and a response_url is good for 30
 * minutes and 5 posts (docs.slack.dev/messaging/modifying-messages; api.slack.com/interactivity/handling)
 * while a grant may wait longer, and it would be a bearer credential to keep in Redis. So when an
 * approved request then never runs (lapsed, stale), its approvers get the correction as a DM.
 */
const CORRECTED_STATES: ReadonlySet<ApprovalRequest['state']> = new Set(['lapsed', 'stale']);

/** Who hears of this outcome: the agent's owners, and the approvers when it corrects their reply. */
function recipients(approval: ApprovalRequest): { user: string; corrects: boolean }[] {
  const owners = approval.owners.map((user) => ({ user, corrects: false }));
  if (!CORRECTED_STATES.has(approval.state)) return owners;
  const approvers = approval.votes
    .filter((vote) => vote.decision === 'approve' && !approval.owners.includes(vote.userId))
    .map((vote) => ({ user: vote.userId, corrects: true }));
  return [...owners, ...approvers];
}

/**
 * DMs the requesting agent's owners the outcome (conversations.open + chat.postMessage), once per
 * approval and outcome; an approved request that never ran corrects the owners' earlier DM and
 * the approvers' replies.
 */
export function createNotifier(options: NotifierOptions) {
  const { approvals, client, log } = options;
  return async function notify(job: NotifyJob): Promise<number> {
    const approval = await approvals.get(job.data.id);
    if (!approval || approval.state === 'pending') return 0;
    const progress = job.progress as Partial<NotifyProgress> | undefined;
    const sent = new Set(progress?.sent ?? []);
    const link = options.permalink(approval);
    for (const { user, corrects } of recipients(approval)) {
      if (sent.has(user)) continue;
      const message = corrects ? renderCorrectionDm(approval, link) : renderDecisionDm(approval, link);
      const dm = await client.conversations.open({ users: user });
      if (!dm.channel?.id) continue;
      await client.chat.postMessage({ channel: dm.channel.id, text: message.text, blocks: message.blocks });
      sent.add(user);
      await job.updateProgress({ sent: [...sent] } satisfies NotifyProgress);
    }
    log.info({ approvalId: approval.id, state: approval.state, told: sent.size }, 'outcome told');
    return sent.size;
  };
}
