import type { App, BlockButtonAction, RespondFn } from '@slack/bolt';
import type { ReviewService } from '../burst/review.js';
import type { CommandService } from '../command/index.js';
import { ActionId, BlockId, DENY_REASON_INPUT, ViewId } from '../ids.js';
import type { Log } from '../ports.js';
import { denyModal, parseDenyMetadata } from '../render/deny-modal.js';
import { code } from '../render/mrkdwn.js';
import type { ClickOrigin, VoteService } from '../votes/index.js';

export interface ListenerDeps {
  readonly votes: VoteService;
  readonly commands: CommandService;
  /** "Post for review" on a burst message. */
  readonly postForReview: ReviewService;
  /** The slash command as configured, e.g. /gatehouse. */
  readonly command: string;
  readonly log: Log;
}

const ephemeral = (respond: RespondFn, text: string) =>
  respond({ response_type: 'ephemeral', replace_original: false, text });

/** What the clicker is told when handling failed after the ack; the vote may or may not have happened. */
function failureText(approvalId: string, command: string): string {
  return `Something went wrong while handling your click on ${code(approvalId)}. Check ${code(`${command} show ${approvalId}`)} before clicking again.`;
}

/** Every channel and message ts a signed button click names (Slack sends them in several places). */
function originOf(body: BlockButtonAction): ClickOrigin {
  const present = (values: readonly (string | undefined)[]) =>
    values.filter((value): value is string => value !== undefined);
  return {
    channels: present([body.container?.channel_id, body.channel?.id]),
    messageTs: present([body.container?.message_ts, body.message?.ts]),
  };
}

/**
 * One listener per action_id. Each acks first (Slack allows 3 seconds and retries otherwise), then
 * does the work and answers the clicker with an ephemeral message.
 */
export function registerListeners(app: App, deps: ListenerDeps): void {
  const { votes, commands, log } = deps;

  app.action<BlockButtonAction>(ActionId.Approve, async ({ ack, body, action, respond }) => {
    await ack();
    const approvalId = action.value ?? '';
    try {
      const result = await votes.cast({
        approvalId,
        user: { id: body.user.id, name: body.user.username ?? body.user.name },
        decision: 'approve',
        origin: originOf(body),
      });
      await ephemeral(respond, result.message);
    } catch (error) {
      log.error({ err: error, approvalId, user: body.user.id }, 'approve click failed');
      await ephemeral(respond, failureText(approvalId, deps.command));
    }
  });

  // Deny asks for a reason in a modal first; the vote happens when the modal is submitted.
  app.action<BlockButtonAction>(ActionId.Deny, async ({ ack, body, action, respond, client }) => {
    await ack();
    const approvalId = action.value ?? '';
    try {
      const user = { id: body.user.id, name: body.user.username ?? body.user.name };
      const check = await votes.precheck(approvalId, user, originOf(body));
      if (!check.ok) return void (await ephemeral(respond, check.message));
      await client.views.open({
        trigger_id: body.trigger_id,
        view: denyModal(check.approval, check.posted),
      });
    } catch (error) {
      log.error({ err: error, approvalId, user: body.user.id }, 'deny click failed');
      await ephemeral(respond, failureText(approvalId, deps.command));
    }
  });

  app.view(ViewId.DenyReason, async ({ ack, body, view, client }) => {
    await ack();
    const metadata = parseDenyMetadata(view.private_metadata);
    if (!metadata) return void log.warn({ user: body.user.id }, 'deny modal without its metadata; ignored');
    const reason = view.state.values[BlockId.DenyReason]?.[DENY_REASON_INPUT]?.value?.trim() || undefined;
    let text: string;
    try {
      const result = await votes.cast({
        approvalId: metadata.id,
        user: { id: body.user.id, name: body.user.name },
        decision: 'deny',
        reason,
        origin: { channels: [metadata.channel], messageTs: metadata.ts === undefined ? [] : [metadata.ts] },
      });
      text = result.message;
    } catch (error) {
      log.error({ err: error, approvalId: metadata.id, user: body.user.id }, 'deny submission failed');
      text = failureText(metadata.id, deps.command);
    }
    // A modal submission has no response_url; answer next to the approval message instead.
    await client.chat.postEphemeral({ channel: metadata.channel, user: body.user.id, text });
  });

  app.command(deps.command, async ({ ack, command, respond }) => {
    await ack();
    try {
      const answer = await commands.run(command.text);
      for (const message of [answer, ...(answer.more ?? [])])
        await respond({ response_type: 'ephemeral', text: message.text, blocks: message.blocks });
    } catch (error) {
      log.error({ err: error, text: command.text, user: command.user_id }, 'slash command failed');
      await ephemeral(
        respond,
        `Something went wrong answering ${code(`${deps.command} ${command.text}`)}; try again.`,
      );
    }
  });

  // Anyone who can see the message may read it whole: it is what they are asked to vote on.
  app.action<BlockButtonAction>(ActionId.ShowAll, async ({ ack, action, body, respond }) => {
    await ack();
    const approvalId = action.value ?? '';
    try {
      for (const message of await commands.everything(approvalId)) {
        await respond({
          response_type: 'ephemeral',
          replace_original: false,
          text: message.text,
          blocks: message.blocks,
        });
      }
    } catch (error) {
      log.error({ err: error, approvalId, user: body.user.id }, 'show everything failed');
      await ephemeral(respond, failureText(approvalId, deps.command));
    }
  });

  // Posts one waiting request's own message; deciding it still takes votes there.
  app.action<BlockButtonAction>(ActionId.PostForReview, async ({ ack, body, action, respond }) => {
    await ack();
    const approvalId = action.value ?? '';
    try {
      const message = await deps.postForReview({
        approvalId,
        user: { id: body.user.id, name: body.user.username ?? body.user.name },
        origin: originOf(body),
      });
      await ephemeral(respond, message);
    } catch (error) {
      log.error({ err: error, approvalId, user: body.user.id }, 'post for review click failed');
      await ephemeral(respond, failureText(approvalId, deps.command));
    }
  });

  app.action<BlockButtonAction>(ActionId.PendingPage, async ({ ack, action, respond }) => {
    await ack();
    try {
      const page = await commands.pending(action.value);
      await respond({
        response_type: 'ephemeral',
        replace_original: true,
        text: page.text,
        blocks: page.blocks,
      });
    } catch (error) {
      log.error({ err: error }, 'pending page failed');
      await ephemeral(respond, 'Something went wrong fetching the next page; try again.');
    }
  });
}
