import type { KubernetesIdentity } from '@gatehouse/config';
import { isoTime, runFact } from '@gatehouse/lifecycle';
import { escapeInvisible } from '@gatehouse/policy';
import type { AgentIdentitySummary, ResponseSummary, SlackUser, StoredEvent } from '../events.js';
import { runFactsOfEvents } from './facts.js';

const runAs = (identity: KubernetesIdentity | undefined) =>
  identity
    ? ` as ${identity.user}${identity.groups.length > 0 ? ` (${identity.groups.join(', ')})` : ''}`
    : '';

/** Static tokens say nothing more than the agent id; an identity token names who presented it. */
const via = (identity: AgentIdentitySummary | undefined) =>
  identity?.method === 'oidc' ? ` (${identity.provider}: ${identity.subject})` : '';

/** An allowed request's answer, folded into its event. */
const answered = (response: ResponseSummary | undefined) => {
  if (response === undefined) return '';
  if ('aborted' in response) return '; the agent went away before the cluster answered';
  if ('unreachable' in response)
    return `; the cluster could not be reached (after ${response.durationMs} ms; the agent got a 503 from the gateway)`;
  return `; the cluster answered ${response.status} in ${response.durationMs} ms`;
};

const who = (user: SlackUser) => (user.name ? `${user.name} (${user.id})` : user.id);

/** One line saying what happened, for `tail` and `show`. */
export function describe(event: StoredEvent): string {
  switch (event.type) {
    case 'request.received': {
      const { decision } = event;
      const rule = decision.rule ? ` by rule ${decision.rule}` : '';
      const reason = decision.reason ? `: ${decision.reason}` : '';
      // Rules on trial (audit, warn mode): what they would have done, so a tail shows the candidate's effect.
      const observed = (decision.observed ?? []).map((o) => `${o.mode} rule ${o.rule} would ${o.effect}`);
      const trial = observed.length > 0 ? ` [${observed.join('; ')}]` : '';
      return `${event.agent}${via(event.identity)} on ${event.cluster}${runAs(event.runAs)}: ${event.command} -> ${decision.effect}${rule}${reason}${trial}${answered(event.response)}`;
    }
    case 'approval.requested':
      return `needs ${event.approvalsNeeded} approval(s) from ${event.group} (rule ${event.rule}), expires ${event.expiresAt}`;
    case 'approval.preview':
      return event.summary;
    case 'vote': {
      const tally = event.tally ? ` (${event.tally.approvals}/${event.tally.needed})` : '';
      const reason = event.reason ? `: ${event.reason}` : '';
      return `${who(event.user)} voted ${event.decision}, ${event.outcome}${tally}${reason}`;
    }
    case 'approval.approved':
      return `approved by ${event.approvers.map(who).join(', ')}`;
    case 'approval.denied':
      return `denied by ${who(event.by)}: ${event.reason}`;
    case 'approval.expired':
      return 'expired without a decision';
    case 'approval.joined':
      return `${event.agent} asked again; held with the first request`;
    case 'approval.coalesced':
      return `${event.agent} had its limit of requests on their own Slack messages: listed in its burst message (${event.waiting} waiting), no message of its own yet`;
    case 'approval.promoted':
      return event.by
        ? `posted for review by ${who(event.by)} from ${event.agent}'s burst message: it has its own Slack message now`
        : `one of ${event.agent}'s Slack messages ended: this request, the oldest waiting, has its own message now`;
    case 'requester.disconnected':
      return `the requester disconnected (approving creates a one-time grant)${event.why ? `: ${event.why}` : ''}`;
    case 'requester.back':
      return 'the requester is back on a held connection';
    case 'grant.issued':
      return `one-time grant: runs only if the agent re-runs the same command before ${event.expiresAt}`;
    case 'grant.expired':
      return 'the grant expired unused: approved, never sent';
    case 'approval.completed':
      if (!('status' in event))
        return event.unanswered === 'not-sent'
          ? `not sent: ${event.why}`
          : `no answer from the cluster (${event.why}); whether it ran is unknown`;
      return `sent to the cluster, answered ${event.status} in ${event.durationMs} ms`;
    case 'dispatch':
      // A claim, not a send: the target is checked first (it may end stale), and only the cluster's
      // answer (approval.completed) says it was sent. Which connection, from which gateway.
      return `claimed for dispatch ${event.via === 'grant' ? "on the agent's retry (single-use grant)" : 'on the held connection'}${event.holder ? ` by gateway replica ${event.holder}` : ''}`;
    case 'dispatch.released':
      return `claim released, nothing sent (${event.reason}); the agent's re-run can use the approval once`;
    case 'approval.stale':
      return `not sent: ${event.reason}`;
    case 'upstream.response':
      return `cluster ${event.cluster} answered ${event.status} in ${event.durationMs} ms`;
    case 'grant.used':
      return `${event.agent} retried and used the grant`;
    case 'request.limited':
      return `${event.agent} on ${event.cluster}: ${event.method} ${event.path} refused ${event.status} by ${event.limit}: ${event.message}`;
    case 'session.recorded': {
      if (event.notRecorded !== undefined)
        return `session "${event.command}" not recorded: ${event.notRecorded} (${event.durationMs} ms; ${event.path} holds only its header)`;
      const error = event.error ? `, stopped early: ${event.error}` : '';
      return `session "${event.command}" recorded to ${event.path} (${event.durationMs} ms, ${event.bytesIn} bytes in, ${event.bytesOut} out${error})`;
    }
    case 'session.forwarded':
      if (event.notCounted !== undefined)
        return `port-forward "${event.command}" not counted: ${event.notCounted} (${event.durationMs} ms)`;
      return `port-forward "${event.command}": ${event.connections} connection(s), ${event.bytesIn} bytes in, ${event.bytesOut} out (${event.durationMs} ms; not recorded)`;
  }
}

/** `tail` line: time, seq, approval, type, what happened. */
export function formatLine(event: StoredEvent): string {
  const approvalId = 'approvalId' in event && event.approvalId ? event.approvalId : '-';
  // Printed to a terminal: what an agent or an approver wrote shows escaped (`\u202E`), never acts.
  return escapeInvisible(
    `${event.time}  #${event.seq}  ${approvalId}  ${event.type.padEnd(18)} ${describe(event)}`,
  );
}

/** `show`: the story of one approval, oldest first, ending with who decided when and what the cluster answered. */
export function formatStory(approvalId: string, events: readonly StoredEvent[]): string {
  const request = events.find(
    (event) => event.type === 'request.received' || event.type === 'approval.requested',
  );
  const heading = request
    ? [
        `Approval ${approvalId}: ${request.agent} on cluster ${request.cluster}${runAs(request.runAs)}`,
        `  ${request.command}`,
      ]
    : [`Approval ${approvalId}`];
  const steps = events.map((event) => `${event.time}  #${String(event.seq).padEnd(6)} ${describe(event)}`);
  // Each line escaped on its own (a request's newline must not start a line of its own).
  return (
    [...heading, '', ...steps, '', `Outcome: ${outcome(events)}`]
      .map((line) => escapeInvisible(line))
      .join('\n') + '\n'
  );
}

/** Who decided (the story's own words, names and ids), then where the run stands (the one projection). */
function outcome(events: readonly StoredEvent[]): string {
  let decision: string | undefined;
  for (const event of events) {
    if (event.type === 'approval.approved')
      decision = `approved by ${event.approvers.map(who).join(', ')} at ${event.decidedAt ?? event.time}`;
    else if (event.type === 'approval.denied')
      decision = `denied by ${who(event.by)} at ${event.decidedAt ?? event.time} (${event.reason})`;
  }
  const fact = runFact(runFactsOfEvents(events), isoTime);
  if (decision === undefined) return fact ?? 'still pending';
  return fact === undefined ? decision : `${decision}; ${fact}`;
}
