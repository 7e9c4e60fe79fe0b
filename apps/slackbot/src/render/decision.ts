import { type ApprovalRequest, runFactsOf } from '@gatehouse/approvals';
import { isoTime, runFact } from '@gatehouse/lifecycle';
import type { RenderedMessage } from './approval.js';
import { outcomeLine } from './approval.js';
import { clip, code } from './mrkdwn.js';

/**
 * The DM an agent's owners get when its request reaches an outcome (and, when an approved request
 * then lapses or ends stale, the correction). The notification text is plain: ISO times, no tokens.
 */
export function renderDecisionDm(approval: ApprovalRequest, link: string | undefined): RenderedMessage {
  const what = `${code(approval.command, 500)} on ${code(approval.cluster)} by agent ${code(approval.agent)}`;
  const where = link ? ` <${link}|See the approval message>.` : '';
  const fact = runFact(runFactsOf(approval), isoTime) ?? approval.state;
  return {
    text: `Your agent's request ${clip(approval.command, 200)}: ${clip(fact, 1_000)}`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `Request ${code(approval.id)}: ${what}.${where}` } },
      { type: 'section', text: { type: 'mrkdwn', text: outcomeLine(approval) } },
    ],
  };
}

/** The DM an approver gets when the request they approved never ran: their reply said otherwise. */
export function renderCorrectionDm(approval: ApprovalRequest, link: string | undefined): RenderedMessage {
  const fact = runFact(runFactsOf(approval), isoTime) ?? approval.state;
  const where = link ? ` <${link}|See the approval message>.` : '';
  return {
    text: `Correction to your approval of ${clip(approval.command, 200)}: ${clip(fact, 1_000)}`,
    blocks: [
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: `Correction to your approval of ${code(approval.id)} (${code(approval.command, 500)} on ${code(approval.cluster)}): the reply you got said it would run, but it did not.${where}`,
        },
      },
      { type: 'section', text: { type: 'mrkdwn', text: outcomeLine(approval) } },
    ],
  };
}
