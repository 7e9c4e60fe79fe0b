import type { RunFacts } from '@gatehouse/lifecycle';
import type { ApprovalRequest } from './model.js';

/** The stored approval as the facts every surface words (`runFact` in @gatehouse/lifecycle). */
export function runFactsOf(approval: ApprovalRequest): RunFacts {
  return {
    state: approval.state,
    requesterGoneAt: approval.requesterGoneAt,
    grantExpiresAt: approval.grantExpiresAt,
    lapsedAt: approval.lapsedAt,
    sentAt: approval.dispatch?.at,
    status: approval.dispatch?.status,
  };
}
