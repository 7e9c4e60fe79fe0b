import type { RunFacts } from '@gatehouse/lifecycle';
import type { StoredEvent } from '../events.js';

/**
 * An approval's run facts as its audit events tell them, oldest first: the same facts the approvals
 * store keeps in Redis (`runFactsOf`), so `gatehouse-audit show` words them with the same
 * `runFact` as Slack and kubectl. Only the store's transition events move the state.
 */
export function runFactsOfEvents(events: readonly StoredEvent[]): RunFacts {
  let facts: RunFacts = { state: 'pending' };
  const at = (iso: string) => Date.parse(iso);
  for (const event of events) {
    switch (event.type) {
      case 'requester.disconnected':
        facts = { ...facts, requesterGoneAt: at(event.time) };
        break;
      case 'requester.back':
        facts = { ...facts, requesterGoneAt: undefined };
        break;
      case 'approval.approved':
        facts = { ...facts, state: 'approved', decidedAt: at(event.decidedAt ?? event.time) };
        break;
      case 'grant.issued':
        facts = { ...facts, grantExpiresAt: at(event.expiresAt) };
        break;
      case 'grant.expired':
        facts = { ...facts, state: 'lapsed', lapsedAt: at(event.time) };
        break;
      case 'dispatch':
        facts = { ...facts, state: 'dispatched', claimedAt: at(event.time), via: event.via };
        break;
      case 'dispatch.released':
        // The claim was undone (not confirmed on a replica, nothing sent): approved again.
        facts = { ...facts, state: 'approved', claimedAt: undefined, via: undefined };
        break;
      case 'approval.completed':
        facts =
          'status' in event
            ? { ...facts, state: 'completed', status: event.status }
            : {
                ...facts,
                state: 'completed',
                status: undefined,
                unanswered: { kind: event.unanswered, why: event.why },
              };
        break;
      case 'upstream.response':
        // The gateway's record of the cluster's answer to the dispatch; the store's completion follows.
        if (facts.state === 'dispatched') facts = { ...facts, state: 'completed', status: event.status };
        break;
      case 'approval.stale':
        facts = { ...facts, state: 'stale', staleReason: event.reason };
        break;
      case 'approval.denied':
        facts = { ...facts, state: 'denied', decidedAt: at(event.decidedAt ?? event.time) };
        break;
      case 'approval.expired':
        facts = { ...facts, state: 'expired', decidedAt: at(event.time) };
        break;
      default:
        break;
    }
  }
  return facts;
}
