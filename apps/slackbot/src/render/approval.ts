import { type ApprovalRequest, runFactsOf, type Vote } from '@gatehouse/approvals';
import { notSentFact, runFact } from '@gatehouse/lifecycle';
import type { KnownBlock } from '@slack/web-api';
import { ActionId, BlockId } from '../ids.js';
import { changeBlocks } from './change.js';
import { clip, clipPlain, code, codeBlock, date, mention } from './mrkdwn.js';
import { previewBlock } from './preview.js';

/** A Slack message: blocks plus the plain-text fallback notifications and screen readers use. */
export interface RenderedMessage {
  readonly text: string;
  readonly blocks: KnownBlock[];
  /** Messages that follow this one: the complete text of what it shortened (`/gatehouse show`). */
  readonly more?: readonly RenderedMessage[] | undefined;
}

const approvalsOf = (approval: ApprovalRequest) =>
  approval.votes.filter((vote) => vote.decision === 'approve').length;

function namespaceOf(approval: ApprovalRequest): string | undefined {
  return approval.action.kind === 'resource' ? approval.action.namespace : undefined;
}

function requester(approval: ApprovalRequest): string {
  const owners = approval.owners.map(mention).join(', ');
  return owners ? `${code(approval.agent)} (owned by ${owners})` : code(approval.agent);
}

/** Who the cluster will see: the agent's own Kubernetes identity, or the gateway's where the cluster does not impersonate. */
function runsAs(approval: ApprovalRequest): string {
  if (!approval.runAs) return "the gateway's own identity (no impersonation on this cluster)";
  const { user, groups } = approval.runAs;
  return groups.length > 0 ? `${code(user)} in ${groups.map((group) => code(group)).join(', ')}` : code(user);
}

function voteLine(vote: Vote): string {
  if (vote.decision === 'approve')
    return `:white_check_mark: ${mention(vote.userId)} approved ${date(vote.at)}`;
  const reason = vote.reason ? `: ${clip(vote.reason, 500)}` : '';
  return `:no_entry: ${mention(vote.userId)} denied ${date(vote.at)}${reason}`;
}

/** One line saying where the request stands; the part of the message that changes most. */
export function outcomeLine(approval: ApprovalRequest): string {
  const tally = `${approvalsOf(approval)}/${approval.approvalsNeeded}`;
  const decidedAt = approval.decidedAt === undefined ? '' : ` ${date(approval.decidedAt)}`;
  const approvers = approval.votes
    .filter((vote) => vote.decision === 'approve')
    .map((vote) => mention(vote.userId))
    .join(', ');
  const fact = runFact(runFactsOf(approval), date);
  switch (approval.state) {
    case 'pending': {
      const gone = fact === undefined ? '' : `. :warning: ${fact}`;
      return `:hourglass_flowing_sand: *Waiting for approval*: ${tally} from ${code(approval.group)}, expires ${date(approval.expiresAt)}${gone}`;
    }
    case 'approved':
      return `:white_check_mark: *Approved*${decidedAt} by ${approvers}; ${fact}`;
    case 'lapsed':
      return `:hourglass: *Approved*${decidedAt} by ${approvers}; ${fact}`;
    case 'denied': {
      const reason = approval.denyReason ? clip(approval.denyReason, 500) : 'no reason given';
      return `:no_entry: *Denied*${decidedAt} by ${mention(approval.deniedBy ?? 'unknown')} (${reason}): ${fact}`;
    }
    case 'expired':
      return `:hourglass: *Expired* with ${tally} approvals: ${fact}. Re-run the command to ask again`;
    case 'dispatched':
      return `:outbox_tray: *Approved* by ${approvers}; ${fact}`;
    case 'completed':
      return `:rocket: *Approved* by ${approvers}; ${fact} (${approval.dispatch?.via === 'grant' ? "on the agent's retry" : 'on the held connection'})`;
    case 'stale':
      // The gateway's sentence, shortened to keep the message readable, said by the one fact function.
      return `:warning: *Approved* by ${approvers}; ${notSentFact(clip(approval.stale?.reason ?? 'its target changed after it was approved', 1_000))}`;
  }
}

/** The approval message: what is asked, why it is held, who voted, the outcome, and buttons while pending. */
export function renderApproval(approval: ApprovalRequest): RenderedMessage {
  const tally = `${approvalsOf(approval)}/${approval.approvalsNeeded}`;
  const blocks: KnownBlock[] = [
    {
      type: 'header',
      text: { type: 'plain_text', text: clipPlain(`Approval needed: ${approval.command}`, 150) },
    },
    {
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: `*Requester*\n${requester(approval)}` },
        { type: 'mrkdwn', text: `*Cluster*\n${code(approval.cluster)}` },
        { type: 'mrkdwn', text: `*Namespace*\n${code(namespaceOf(approval) ?? '(cluster-wide)')}` },
        { type: 'mrkdwn', text: `*Runs as*\n${runsAs(approval)}` },
        { type: 'mrkdwn', text: `*Rule*\n${code(approval.rule)}` },
        { type: 'mrkdwn', text: `*Approvals*\n${tally} from ${code(approval.group)}` },
        { type: 'mrkdwn', text: `*Expires*\n${date(approval.expiresAt)}` },
      ],
    },
    {
      type: 'section',
      text: { type: 'mrkdwn', text: `*Why it is held:* ${clip(approval.reason, 1_000)}` },
    },
    { type: 'context', elements: [{ type: 'mrkdwn', text: clientLine(approval) }] },
    { type: 'section', text: { type: 'mrkdwn', text: codeBlock(approval.command, 2_700) } },
  ];
  const preview = previewBlock(approval);
  if (preview) blocks.push(preview);
  blocks.push(...changeBlocks(approval));
  if (approval.votes.length > 0) {
    blocks.push({
      type: 'context',
      // A context block takes at most 10 elements; beyond that the votes share the last one.
      elements: chunkLines(approval.votes.map(voteLine), 10).map((text) => ({ type: 'mrkdwn', text })),
    });
  }
  blocks.push({ type: 'section', text: { type: 'mrkdwn', text: outcomeLine(approval) } });
  blocks.push({
    type: 'context',
    elements: [{ type: 'mrkdwn', text: `Request ${code(approval.id)} · asked ${date(approval.createdAt)}` }],
  });
  if (approval.state === 'pending') {
    blocks.push({
      type: 'actions',
      block_id: BlockId.Actions,
      elements: [
        {
          type: 'button',
          action_id: ActionId.Approve,
          style: 'primary',
          text: { type: 'plain_text', text: 'Approve' },
          value: approval.id,
        },
        {
          type: 'button',
          action_id: ActionId.Deny,
          style: 'danger',
          text: { type: 'plain_text', text: 'Deny' },
          value: approval.id,
        },
        {
          // Whatever the message had to shorten, complete, one click away before voting.
          type: 'button',
          action_id: ActionId.ShowAll,
          text: { type: 'plain_text', text: 'Show everything' },
          value: approval.id,
        },
      ],
    });
  }
  const headline = approval.state === 'pending' ? 'Approval needed' : `Request ${approval.state}`;
  // The fallback text is mrkdwn too (notifications): escaped like the blocks.
  const text = `${headline}: ${clip(approval.command, 200)} on ${clip(approval.cluster, 100)} (${tally} approvals, request ${clip(approval.id, 100)})`;
  return { text, blocks };
}

function chunkLines(lines: string[], max: number): string[] {
  if (lines.length <= max) return lines;
  return [...lines.slice(0, max - 1), lines.slice(max - 1).join('\n')];
}

/**
 * Which client sent it (its User-Agent, escaped), and what the command line below is: kubectl's
 * own when kubectl sent it, else the kubectl equivalent of a Python, client-node or curl request.
 * A port-forward without `ports` in its query (SPDY) names its ports only per connection, after
 * the approval.
 */
function clientLine(approval: ApprovalRequest): string {
  const agent = approval.request.headers['user-agent'] ?? '';
  const kubectl = /^kubectl(?:\.exe)?\//.test(agent);
  const shown = agent ? code(agent, 200) : '(no user agent)';
  const line = kubectl
    ? `*Sent by* ${shown}`
    : `*Sent by* ${shown} · the command below is the *kubectl equivalent*`;
  const forward = approval.request.path.endsWith('/portforward');
  if (!forward) return line;
  const ports = new URLSearchParams(approval.request.query).getAll('ports');
  return ports.length > 0
    ? `${line} · *Ports* ${code(ports.join(', '), 200)}`
    : `${line} · *Ports* not in the request: an SPDY port-forward names each port when it connects, after approval`;
}
