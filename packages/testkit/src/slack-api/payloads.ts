import { randomUUID } from 'node:crypto';
import type { FakeView } from './workspace.js';

/**
 * Builders for the requests Slack sends to an app, shaped like Slack's documented payloads
 * (block_actions, view_submission, slash commands). Encode them with {@link interactiveBody} or
 * {@link slashCommandBody} and sign them with `signedHeaders`.
 */

export interface Clicker {
  readonly id: string;
  readonly name?: string;
}

const TEAM = { id: 'T0GATEHOUSE', domain: 'gatehouse-test' };
const APP_ID = 'A0GATEHOUSE';

const triggerId = () => `${Date.now()}.${Math.floor(Math.random() * 1e9)}.${randomUUID().replace(/-/g, '')}`;

function user(clicker: Clicker) {
  const name = clicker.name ?? clicker.id.toLowerCase();
  return { id: clicker.id, username: name, name, team_id: TEAM.id };
}

export interface BlockActionsOptions {
  readonly user: Clicker;
  readonly channel: string;
  readonly messageTs: string;
  readonly actionId: string;
  readonly value: string;
  readonly responseUrl: string;
  /** The message as the clicker saw it (Slack echoes it back). */
  readonly message?: Record<string, unknown>;
  readonly blockId?: string;
}

/** A button click in a channel message. */
export function blockActionsPayload(options: BlockActionsOptions): Record<string, unknown> {
  const actionTs = `${(Date.now() / 1000).toFixed(6)}`;
  return {
    type: 'block_actions',
    user: user(options.user),
    api_app_id: APP_ID,
    token: 'deprecated-verification-token',
    container: {
      type: 'message',
      message_ts: options.messageTs,
      channel_id: options.channel,
      is_ephemeral: false,
    },
    trigger_id: triggerId(),
    team: TEAM,
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: options.channel, name: 'approvals' },
    message: options.message ?? { type: 'message', ts: options.messageTs, text: '' },
    state: { values: {} },
    response_url: options.responseUrl,
    actions: [
      {
        type: 'button',
        action_id: options.actionId,
        block_id: options.blockId ?? 'actions',
        text: { type: 'plain_text', text: options.actionId, emoji: true },
        value: options.value,
        action_ts: actionTs,
      },
    ],
  };
}

export interface ViewSubmissionOptions {
  readonly user: Clicker;
  /** The view the app opened (from the fake's `views()`). */
  readonly view: FakeView;
  /** block_id -> action_id -> value of a plain_text_input. */
  readonly values: Readonly<Record<string, Readonly<Record<string, string | null>>>>;
}

/** The submission of a modal the app opened with views.open. */
export function viewSubmissionPayload(options: ViewSubmissionOptions): Record<string, unknown> {
  const values: Record<string, Record<string, unknown>> = {};
  for (const [blockId, actions] of Object.entries(options.values)) {
    values[blockId] = {};
    for (const [actionId, value] of Object.entries(actions)) {
      values[blockId][actionId] = { type: 'plain_text_input', value };
    }
  }
  return {
    type: 'view_submission',
    team: TEAM,
    user: user(options.user),
    api_app_id: APP_ID,
    token: 'deprecated-verification-token',
    trigger_id: triggerId(),
    view: {
      ...options.view.view,
      id: options.view.id,
      team_id: TEAM.id,
      type: 'modal',
      state: { values },
      hash: randomUUID(),
      app_id: APP_ID,
    },
    response_urls: [],
    is_enterprise_install: false,
    enterprise: null,
  };
}

/** Interactive payloads arrive form-encoded as a single `payload` field of JSON. */
export function interactiveBody(payload: Record<string, unknown>): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

export interface SlashCommandOptions {
  readonly command: string;
  readonly text: string;
  readonly user: Clicker;
  readonly channel: string;
  readonly responseUrl: string;
}

/** A slash command invocation, form-encoded field by field as Slack sends it. */
export function slashCommandBody(options: SlashCommandOptions): string {
  return new URLSearchParams({
    token: 'deprecated-verification-token',
    team_id: TEAM.id,
    team_domain: TEAM.domain,
    channel_id: options.channel,
    channel_name: 'approvals',
    user_id: options.user.id,
    user_name: options.user.name ?? options.user.id.toLowerCase(),
    command: options.command,
    text: options.text,
    api_app_id: APP_ID,
    is_enterprise_install: 'false',
    response_url: options.responseUrl,
    trigger_id: triggerId(),
  }).toString();
}
