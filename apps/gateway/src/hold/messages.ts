import { type ApprovalRequest, runFactsOf } from '@gatehouse/approvals';
import { deniedFact, expiredFact, isoTime, notSentFact, runFact } from '@gatehouse/lifecycle';

/**
 * What kubectl prints when a held request does not go through: the id, who can act, what to do next.
 * Where it ended is said by the one projection (@gatehouse/lifecycle), as Slack and the audit say it.
 */

const iso = (ms: number | undefined) => (ms === undefined ? 'unknown' : new Date(ms).toISOString());

function duration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 120) return `${seconds} seconds`;
  const minutes = Math.round(seconds / 60);
  return minutes < 120 ? `${minutes} minutes` : `${Math.round(minutes / 60)} hours`;
}

function denier(approval: ApprovalRequest): string {
  const vote = approval.votes.find((v) => v.decision === 'deny' && v.userId === approval.deniedBy);
  const name = vote?.userName;
  const id = approval.deniedBy ?? vote?.userId ?? 'an approver';
  return name ? `${name} (${id})` : id;
}

/** `askAgainAt`: until then an identical request gets the same answer (an exec's automatic retry). */
const askAgain = (askAgainAt: number | undefined) =>
  askAgainAt === undefined
    ? 're-run the command to ask again.'
    : `re-run the command after ${iso(askAgainAt)} to ask again.`;

export function deniedMessage(approval: ApprovalRequest, askAgainAt?: number): string {
  const reason = approval.denyReason ? `: ${approval.denyReason}` : ' (no reason given)';
  return (
    `approval ${approval.id} for \`${approval.command}\` on cluster ${approval.cluster} was denied by ` +
    `${denier(approval)}${reason} — ${deniedFact()}; ${askAgain(askAgainAt)}`
  );
}

export function expiredMessage(approval: ApprovalRequest, askAgainAt?: number): string {
  return (
    `approval ${approval.id} for \`${approval.command}\` on cluster ${approval.cluster}: ` +
    `${expiredFact(approval.decidedAt ?? approval.expiresAt, isoTime)}; ${askAgain(askAgainAt)}`
  );
}

/** Approved, claimed and found changed before sending: the gateway's stored sentence. */
export function staleMessage(approval: ApprovalRequest): string {
  return `approval ${approval.id} for \`${approval.command}\`: ${notSentFact(approval.stale?.reason ?? 'its target changed after it was approved')}`;
}

export function stillPendingMessage(approval: ApprovalRequest, grantTtlMs: number): string {
  const votes = approval.votes.filter((v) => v.decision === 'approve').length;
  return (
    `\`${approval.command}\` is waiting for approval ${approval.id} (rule ${approval.rule}: ${approval.reason}); ` +
    `it needs ${approval.approvalsNeeded} approval(s) from group ${approval.group} (${votes} so far) ` +
    `and expires at ${iso(approval.expiresAt)}. Nothing was sent to cluster ${approval.cluster} yet. ` +
    `Once it is approved, re-run the same command: it will pass once, within ${duration(grantTtlMs)} of the approval.`
  );
}

/** This connection cannot run it: another claimed it, or its grant lapsed. Where it ended, as every surface says it. */
export function alreadyUsedMessage(approval: ApprovalRequest): string {
  const fact = runFact(runFactsOf(approval), isoTime) ?? approval.state;
  return (
    `approval ${approval.id} for \`${approval.command}\` cannot run on this connection: ${fact}. ` +
    'An approval lets a request through once; re-run the command to ask again.'
  );
}
