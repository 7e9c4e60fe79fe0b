import { blockLimitProblems } from './block-limits.js';
import type { FakeMessage, Workspace } from './workspace.js';

export type Args = Readonly<Record<string, unknown>>;
export type SlackResult = Record<string, unknown> & { ok: boolean };
type Method = (args: Args, workspace: Workspace) => SlackResult;

const fail = (error: string, extra: Record<string, unknown> = {}): SlackResult => ({
  ok: false,
  error,
  ...extra,
});

const text = (value: unknown): string => (typeof value === 'string' ? value : '');
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

function messageShape(workspace: Workspace, message: FakeMessage): Record<string, unknown> {
  return {
    type: 'message',
    user: workspace.botUserId,
    bot_id: workspace.botId,
    text: message.text,
    blocks: message.blocks,
    ts: message.ts,
    ...(message.metadata ? { metadata: message.metadata } : {}),
  };
}

/** chat.postMessage and chat.update need text or blocks, as the real API does. */
function missingContent(args: Args): boolean {
  return text(args.text) === '' && list(args.blocks).length === 0;
}

/** `invalid_blocks` as Slack answers it, or undefined when the blocks are within Block Kit's limits. */
function invalidBlocks(args: Args): SlackResult | undefined {
  const problems = blockLimitProblems(list(args.blocks));
  if (problems.length === 0) return undefined;
  return fail('invalid_blocks', {
    errors: problems,
    response_metadata: { messages: problems.map((problem) => `[ERROR] ${problem}`) },
  });
}

/** The Web API methods the slackbot calls, with Slack's documented response shapes and error names. */
export const methods: Readonly<Record<string, Method>> = {
  'auth.test': (_args, workspace) => ({
    ok: true,
    url: 'https://gatehouse-test.slack.com/',
    team: 'Gatehouse Test',
    user: 'gatehouse',
    team_id: workspace.teamId,
    user_id: workspace.botUserId,
    bot_id: workspace.botId,
  }),

  'chat.postMessage': (args, workspace) => {
    const channel = text(args.channel);
    if (!channel) return fail('channel_not_found');
    if (missingContent(args)) return fail('no_text');
    const invalid = invalidBlocks(args);
    if (invalid) return invalid;
    const metadata = args.metadata as FakeMessage['metadata'];
    const message = workspace.post(channel, text(args.text), list(args.blocks), metadata);
    return { ok: true, channel, ts: message.ts, message: messageShape(workspace, message) };
  },

  'chat.update': (args, workspace) => {
    const channel = text(args.channel);
    const message = workspace.find(channel, text(args.ts));
    if (!message) return fail('message_not_found');
    if (missingContent(args)) return fail('no_text');
    const invalid = invalidBlocks(args);
    if (invalid) return invalid;
    message.history.push({ text: message.text, blocks: message.blocks });
    message.text = text(args.text);
    message.blocks = list(args.blocks);
    message.updates += 1;
    return {
      ok: true,
      channel,
      ts: message.ts,
      text: message.text,
      message: messageShape(workspace, message),
    };
  },

  'chat.postEphemeral': (args, workspace) => {
    const channel = text(args.channel);
    const user = text(args.user);
    if (!channel) return fail('channel_not_found');
    if (!user) return fail('user_not_in_channel');
    const messageTs = workspace.nextTs();
    workspace.ephemerals.push({ channel, user, text: text(args.text), blocks: list(args.blocks), messageTs });
    return { ok: true, message_ts: messageTs };
  },

  'chat.getPermalink': (args, workspace) => {
    const channel = text(args.channel);
    const ts = text(args.message_ts);
    if (!workspace.find(channel, ts)) return fail('message_not_found');
    return {
      ok: true,
      channel,
      permalink: `https://gatehouse-test.slack.com/archives/${channel}/p${ts.replace('.', '')}`,
    };
  },

  'conversations.history': (args, workspace) => {
    const channel = text(args.channel);
    const messages = workspace.channels.get(channel);
    if (!messages) return { ok: true, messages: [], has_more: false };
    const oldest = Number(text(args.oldest) || '0');
    const withMetadata = args.include_all_metadata === true || args.include_all_metadata === 'true';
    const found = [...messages.values()]
      .filter((message) => Number(message.ts) >= oldest)
      .reverse()
      .map((message) => {
        const shape = messageShape(workspace, message);
        if (!withMetadata) delete shape.metadata;
        return shape;
      });
    return { ok: true, messages: found, has_more: false };
  },

  'conversations.open': (args, workspace) => {
    const users = text(args.users).split(',').filter(Boolean);
    const [user] = users;
    if (!user || users.length > 1) return fail('not_enough_users');
    if (!workspace.users.has(user)) return fail('user_not_found');
    return { ok: true, channel: { id: workspace.dmChannel(user) } };
  },

  'users.info': (args, workspace) => {
    const user = workspace.users.get(text(args.user));
    if (!user) return fail('user_not_found');
    return {
      ok: true,
      user: {
        id: user.id,
        team_id: workspace.teamId,
        name: user.name,
        real_name: user.realName ?? user.name,
        profile: { display_name: user.name, real_name: user.realName ?? user.name },
      },
    };
  },

  'usergroups.users.list': (args, workspace) => {
    const members = workspace.usergroups.get(text(args.usergroup));
    if (!members) return fail('no_such_subteam');
    return { ok: true, users: [...members] };
  },

  'views.open': (args, workspace) => {
    const triggerId = text(args.trigger_id);
    if (!triggerId) return fail('invalid_trigger_id');
    const view = args.view as Record<string, unknown> | undefined;
    if (!view || typeof view !== 'object') return fail('invalid_arguments');
    const id = workspace.nextId('V');
    workspace.views.push({ id, triggerId, view });
    return { ok: true, view: { id, team_id: workspace.teamId, ...view, state: { values: {} } } };
  },
};
