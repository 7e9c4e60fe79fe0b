import type { SlackUser } from '@gatehouse/audit';
import type { ApproverCheck } from '../approvers/index.js';
import type { ApprovalsPort, Log } from '../ports.js';
import { code } from '../render/mrkdwn.js';
import { type ClickOrigin, isFromMessage } from '../votes/index.js';

export interface ReviewClick {
  readonly approvalId: string;
  readonly user: SlackUser;
  readonly origin: ClickOrigin;
}

export interface ReviewServiceOptions {
  readonly approvals: Pick<ApprovalsPort, 'get' | 'burst' | 'postForReview'>;
  readonly approvers: ApproverCheck;
  readonly log: Log;
}

/**
 * "Post for review" on an agent's burst message: an approver of the request's group asks for its own
 * message now. It posts the message only; the request is then approved or denied there, by votes.
 * Returns the ephemeral answer for the clicker.
 */
export function createReviewService(options: ReviewServiceOptions) {
  const { approvals, approvers, log } = options;
  return async function postForReview(click: ReviewClick): Promise<string> {
    const id = code(click.approvalId);
    const approval = await approvals.get(click.approvalId);
    if (!approval) return `Request ${id} does not exist any more; nothing was posted.`;
    const burst = await approvals.burst(approval.agent, 0);
    if (!isFromMessage(burst.message, click.origin)) {
      log.warn(
        { approvalId: approval.id, user: click.user.id, origin: click.origin, burst: burst.message },
        'post for review refused: the click did not come from the agent burst message',
      );
      return `This button is not on the burst message of agent ${code(approval.agent)}, so nothing was posted.`;
    }
    const eligibility = await approvers.check(approval, click.user.id);
    if (!eligibility.eligible) {
      log.info(
        { approvalId: approval.id, user: click.user.id, refusal: eligibility.refusal },
        'post for review refused',
      );
      return eligibility.message;
    }
    const result = await approvals.postForReview(approval.id, click.user);
    log.info({ approvalId: approval.id, user: click.user.id, outcome: result.outcome }, 'post for review');
    switch (result.outcome) {
      case 'promoted':
        return `Posting ${id} for review: vote on its own message in this channel (${approval.approvalsNeeded} approval(s) from ${code(approval.group)}).`;
      case 'not-waiting':
        return `${id} already has its own message in this channel; vote there.`;
      case 'not-pending':
        return `${id} is already ${result.state}; there is nothing to review.`;
    }
  };
}

export type ReviewService = ReturnType<typeof createReviewService>;
