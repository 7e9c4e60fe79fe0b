import { type ApprovalRequest, runFactsOf, type VoteResult } from '@gatehouse/approvals';
import type { SlackUser } from '@gatehouse/audit';
import { runFact } from '@gatehouse/lifecycle';
import type { ApproverCheck } from '../approvers/index.js';
import type { ApprovalsPort, Log } from '../ports.js';
import { code, date, mention } from '../render/mrkdwn.js';
import { NOOP_TRACER, type VoteTracer } from '../tracing/index.js';

/**
 * Where a click came from, as the signed payload names it. Every channel and message ts the payload
 * carries (`container.channel_id`/`message_ts`, `channel.id`, `message.ts`) is listed, so one that
 * disagrees with the approval's posted message cannot hide behind one that agrees.
 */
export interface ClickOrigin {
  readonly channels: readonly string[];
  readonly messageTs: readonly string[];
}

export interface Ballot {
  readonly approvalId: string;
  readonly user: SlackUser;
  readonly decision: 'approve' | 'deny';
  readonly reason?: string | undefined;
  readonly origin: ClickOrigin;
}

/** What a click came to; `message` is the ephemeral answer for the clicker. */
export interface BallotResult {
  /** True only when the vote was recorded (and possibly decided the request). */
  readonly counted: boolean;
  readonly outcome: VoteResult['outcome'] | 'not-found' | 'not-eligible' | 'wrong-message';
  readonly message: string;
}

/** Before a deny modal opens: may this user vote on this request right now? */
export type Precheck =
  | {
      readonly ok: true;
      readonly approval: ApprovalRequest;
      /** The approval's posted message, which the click came from. */
      readonly posted: { readonly channel: string; readonly ts: string };
    }
  | { readonly ok: false; readonly message: string };

export interface VoteService {
  precheck(approvalId: string, user: SlackUser, origin: ClickOrigin): Promise<Precheck>;
  cast(ballot: Ballot): Promise<BallotResult>;
}

export interface VoteServiceOptions {
  readonly approvals: Pick<ApprovalsPort, 'get' | 'vote'>;
  readonly approvers: ApproverCheck;
  readonly log: Log;
  /** @defaultValue no spans (telemetry off) */
  readonly tracer?: VoteTracer | undefined;
}

/**
 * Turns a click into a vote: checks the clicker may vote, lets the approvals store change state
 * and record it atomically (one script, so concurrent clicks never double-count and every click,
 * counted or refused, is in the audit), and words the answer.
 */
export function createVoteService(options: VoteServiceOptions): VoteService {
  const { approvals, approvers, log, tracer = NOOP_TRACER } = options;

  /** A click refused here is still a vote on record: the store records it as refused, with why. */
  const refuse = (approval: ApprovalRequest, click: Pick<Ballot, 'user' | 'decision'>, refusal: string) =>
    approvals.vote(approval.id, {
      userId: click.user.id,
      userName: click.user.name,
      decision: click.decision,
      refusal,
    });

  async function precheck(approvalId: string, user: SlackUser, origin: ClickOrigin): Promise<Precheck> {
    const approval = await approvals.get(approvalId);
    if (!approval) return { ok: false, message: notFound(approvalId) };
    const posted = approval.slack;
    if (!posted || !fromPostedMessage(approval, origin)) {
      await refuseWrongMessage(approval, { user, decision: 'deny', origin });
      return { ok: false, message: wrongMessage(approval) };
    }
    if (approval.state !== 'pending') return { ok: false, message: closed(approval) };
    const eligibility = await approvers.check(approval, user.id);
    if (!eligibility.eligible) {
      // The Deny button opens a modal only for those who may deny; a refused Deny is on record too.
      await refuse(approval, { user, decision: 'deny' }, eligibility.refusal);
      return { ok: false, message: eligibility.message };
    }
    return { ok: true, approval, posted };
  }

  /** Buttons live on the approval's own message; a click naming another channel or message is refused. */
  async function refuseWrongMessage(
    approval: ApprovalRequest,
    click: Pick<Ballot, 'user' | 'decision' | 'origin'>,
  ): Promise<void> {
    await refuse(approval, click, 'wrong-message');
    log.warn(
      { approvalId: approval.id, user: click.user.id, origin: click.origin, posted: approval.slack },
      'vote refused: the click did not come from the approval message',
    );
  }

  /** One click, as a span linked to the gateway's span of the held request. */
  async function cast(ballot: Ballot): Promise<BallotResult> {
    const approval = await approvals.get(ballot.approvalId);
    const span = tracer.vote({
      approvalId: ballot.approvalId,
      voter: ballot.user.id,
      decision: ballot.decision,
      traceparent: approval?.traceparent,
    });
    let outcome = 'error';
    try {
      const result = await decide(ballot, approval);
      outcome = result.outcome;
      return result;
    } finally {
      span.end(outcome);
    }
  }

  async function decide(ballot: Ballot, approval: ApprovalRequest | undefined): Promise<BallotResult> {
    if (!approval) return { counted: false, outcome: 'not-found', message: notFound(ballot.approvalId) };
    if (!fromPostedMessage(approval, ballot.origin)) {
      await refuseWrongMessage(approval, ballot);
      return { counted: false, outcome: 'wrong-message', message: wrongMessage(approval) };
    }
    // A decided request needs no membership lookup to say so; the store re-checks state atomically.
    if (approval.state === 'pending') {
      const eligibility = await approvers.check(approval, ballot.user.id);
      if (!eligibility.eligible) {
        await refuse(approval, ballot, eligibility.refusal);
        log.info(
          { approvalId: approval.id, user: ballot.user.id, refusal: eligibility.refusal },
          'vote refused',
        );
        return { counted: false, outcome: 'not-eligible', message: eligibility.message };
      }
    }
    const result = await approvals.vote(approval.id, {
      userId: ballot.user.id,
      userName: ballot.user.name,
      decision: ballot.decision,
      reason: ballot.reason,
    });
    const counted =
      result.outcome === 'recorded' || result.outcome === 'approved' || result.outcome === 'denied';
    log.info(
      { approvalId: approval.id, user: ballot.user.id, decision: ballot.decision, outcome: result.outcome },
      'vote',
    );
    return { counted, outcome: result.outcome, message: answer(ballot, result) };
  }

  return { precheck, cast };
}

/** True when every channel and message the click names is the approval's posted message (and it names one). */
function fromPostedMessage(approval: ApprovalRequest, origin: ClickOrigin): boolean {
  return isFromMessage(approval.slack, origin);
}

/** True when every channel and message the click names is `posted` (and it names one). */
export function isFromMessage(
  posted: { readonly channel: string; readonly ts: string } | undefined,
  origin: ClickOrigin,
): boolean {
  if (!posted || origin.channels.length === 0 || origin.messageTs.length === 0) return false;
  return (
    origin.channels.every((channel) => channel === posted.channel) &&
    origin.messageTs.every((ts) => ts === posted.ts)
  );
}

function wrongMessage(approval: ApprovalRequest): string {
  return `This button is not on the message of request ${code(approval.id)}, so nothing was recorded. Vote from the request's own message in the approvals channel.`;
}

function notFound(id: string): string {
  return `Request ${code(id)} does not exist any more (past its retention, or never created). Nothing was recorded.`;
}

function closed(approval: ApprovalRequest): string {
  switch (approval.state) {
    case 'expired':
      return `Request ${code(approval.id)} expired ${date(approval.decidedAt ?? approval.expiresAt)}; nothing was recorded. The agent has to ask again.`;
    case 'denied':
      return `Request ${code(approval.id)} is already denied by ${mention(approval.deniedBy ?? 'unknown')}; nothing was recorded.`;
    default: {
      const approvers = approval.votes
        .filter((vote) => vote.decision === 'approve')
        .map((vote) => mention(vote.userId));
      return `Request ${code(approval.id)} is already approved by ${approvers.join(', ')} (${approval.state}); nothing was recorded.`;
    }
  }
}

function answer(ballot: Ballot, result: VoteResult): string {
  const id = code(result.approval.id);
  const tally = `${result.approvals}/${result.needed}`;
  switch (result.outcome) {
    case 'recorded':
      return `Your approval of ${id} is recorded: ${tally} approvals so far. It goes through once ${result.needed} people approve.`;
    case 'approved':
      return `You approved ${id} (${tally}): ${runFact(runFactsOf(result.approval), date)}.`;
    case 'denied':
      return `You denied ${id}. Nothing reaches the cluster; the requester's owners are told.`;
    case 'duplicate': {
      const earlier = result.approval.votes.find((vote) => vote.userId === ballot.user.id);
      const when = earlier ? ` ${date(earlier.at)}` : '';
      return `You already voted on ${id}${when}; each person counts once, so nothing changed (${tally}).`;
    }
    case 'refused-owner':
      return `You own agent ${code(result.approval.agent)}, which asked for ${id}, so you cannot vote on it. Nothing was recorded.`;
    case 'already-decided':
    case 'expired':
      return closed(result.approval);
    case 'refused':
      return `Your vote on ${id} was refused; nothing was counted.`;
  }
}
