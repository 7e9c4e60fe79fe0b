import type { SlackSecrets } from './app.js';
import { MissingSecretError } from './errors.js';

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
    throw new MissingSecretError(
      'SLACK_BOT_TOKEN',
      'it must be a bot token starting with xoxb-, not a user or app token',
    );
  }
  if (appToken !== undefined && !appToken.startsWith('xapp-')) {
    throw new MissingSecretError(
      'SLACK_APP_TOKEN',
      'Socket Mode needs an app-level token starting with xapp- (Basic Information, App-Level Tokens)',
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
