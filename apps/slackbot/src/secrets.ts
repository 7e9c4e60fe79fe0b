import type { SlackSecrets } from './app.js';
import { MalformedSecretError, MissingSecretError } from './errors.js';

export type Env = Readonly<Record<string, string | undefined>>;

/** Reads the Slack secrets from the environment (never from the config file) and checks their shape. */
export function secretsFromEnv(env: Env): SlackSecrets {
  const botToken = env.SLACK_BOT_TOKEN?.trim();
  const appToken = env.SLACK_APP_TOKEN?.trim() || undefined;
  const signingSecret = env.SLACK_SIGNING_SECRET?.trim() ?? '';
  if (!botToken) {
    throw new MissingSecretError(
      'SLACK_BOT_TOKEN',
      'the bot token (xoxb-…) from the Slack app page, OAuth & Permissions',
    );
  }
  if (!botToken.startsWith('xoxb-')) {
    throw new MalformedSecretError(
      'SLACK_BOT_TOKEN',
      `is not a bot token (${tokenKind(botToken)}): use the Bot User OAuth Token, xoxb-…, from the Slack app page, OAuth & Permissions`,
    );
  }
  if (appToken !== undefined && !appToken.startsWith('xapp-')) {
    throw new MalformedSecretError(
      'SLACK_APP_TOKEN',
      `is not an app-level token (${tokenKind(appToken)}): Socket Mode needs one starting with xapp- (Basic Information, App-Level Tokens, scope connections:write)`,
    );
  }
  // Socket Mode requests arrive over the app-token connection; HTTP requests must be signed.
  if (appToken === undefined && !signingSecret) {
    throw new MissingSecretError(
      'SLACK_SIGNING_SECRET',
      'HTTP mode verifies every Slack request with the signing secret (Basic Information, App Credentials); or set SLACK_APP_TOKEN for Socket Mode',
    );
  }
  return { botToken, signingSecret, appToken };
}

/** Slack's documented token prefixes, to say what was given instead without echoing any of it. */
const TOKEN_KINDS: readonly (readonly [string, string])[] = [
  ['xoxb-', 'it starts with xoxb-, a bot token'],
  ['xoxp-', 'it starts with xoxp-, a user token'],
  ['xapp-', 'it starts with xapp-, an app-level token'],
  ['xoxe', 'it starts with xoxe, a token-rotation token'],
  ['xoxa-', 'it starts with xoxa-, a workspace token'],
];

function tokenKind(value: string): string {
  const known = TOKEN_KINDS.find(([prefix]) => value.startsWith(prefix));
  return known ? known[1] : 'it does not start with any Slack token prefix';
}
