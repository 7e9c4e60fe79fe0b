import type { RunFacts } from '@gatehouse/lifecycle';
import type { ApprovalRequest } from './model.js';

/** The stored approval as the facts every surface words (`runFact` in @gatehouse/lifecycle). */
export function runFactsOf(approval: ApprovalRequest): RunFacts {
  return {
    state: approval.state,
    requesterGoneAt: approval.requesterGoneAt,
    grantExpiresAt: approval.grantExpiresAt,
    lapsedAt: approval.lapsedAt,
    claimedAt: approval.dispatch?.at,
    via: approval.dispatch?.via,
    status: approval.dispatch?.status,
    decidedAt: approval.decidedAt,
    staleReason: approval.stale?.reason,
    unanswered: approval.dispatch?.unanswered,
  };
}
