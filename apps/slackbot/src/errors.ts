/** Stable codes callers branch on; never match on message text. */
export enum SlackbotErrorCode {
  MissingSecret = 'SLACKBOT_MISSING_SECRET',
  MalformedSecret = 'SLACKBOT_MALFORMED_SECRET',
  InvalidOptions = 'SLACKBOT_INVALID_OPTIONS',
  NotConfigured = 'SLACKBOT_NOT_CONFIGURED',
  SlackPostFailed = 'SLACKBOT_SLACK_POST_FAILED',
  RedisUnreachable = 'SLACKBOT_REDIS_UNREACHABLE',
  RedisLost = 'SLACKBOT_REDIS_LOST',
  SlackUnreachable = 'SLACKBOT_SLACK_UNREACHABLE',
  SlackRefused = 'SLACKBOT_SLACK_REFUSED',
}

export abstract class SlackbotError extends Error {
  abstract readonly code: SlackbotErrorCode;
}

/** An environment secret the bot cannot start without (SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET). */
export class MissingSecretError extends SlackbotError {
  override readonly name = 'MissingSecretError';
  readonly code = SlackbotErrorCode.MissingSecret;
  constructor(
    readonly variable: string,
    why: string,
  ) {
    super(`${variable} is not set: ${why}. Export it (or put it in .env for docker compose) and start again`);
  }
}

/** An environment secret that is set but is not the kind of token the bot needs (never echoed). */
export class MalformedSecretError extends SlackbotError {
  override readonly name = 'MalformedSecretError';
  readonly code = SlackbotErrorCode.MalformedSecret;
  constructor(
    readonly variable: string,
    why: string,
  ) {
    super(`${variable} is set but ${why}. Fix it (or .env for docker compose) and start again`);
  }
}

/** Bad `createSlackbot` options: thrown at start-up, before any traffic. */
export class InvalidOptionsError extends SlackbotError {
  override readonly name = 'InvalidOptionsError';
  readonly code = SlackbotErrorCode.InvalidOptions;
}

/** The config file has no `slack:` section, so there is nothing to run. */
export class NotConfiguredError extends SlackbotError {
  override readonly name = 'NotConfiguredError';
  readonly code = SlackbotErrorCode.NotConfigured;
  constructor(source: string) {
    super(`${source} has no slack: section; add slack.approverChannel (a channel id such as C0123ABCD)`);
  }
}

/** Slack refused to take an approval message for good (after retries); the job fails visibly. */
export class SlackPostFailedError extends SlackbotError {
  override readonly name = 'SlackPostFailedError';
  readonly code = SlackbotErrorCode.SlackPostFailed;
  constructor(
    readonly approvalId: string,
    readonly slackError: string,
  ) {
    super(`could not post approval ${approvalId} to Slack: ${slackError}`);
  }
}

/** Redis did not answer at start-up (the message names the URL, without its password, and the cause). */
export class RedisUnreachableError extends SlackbotError {
  override readonly name = 'RedisUnreachableError';
  readonly code = SlackbotErrorCode.RedisUnreachable;
}

/** Redis went away while running and did not come back in time; the bot stops so it can be restarted. */
export class RedisLostError extends SlackbotError {
  override readonly name = 'RedisLostError';
  readonly code = SlackbotErrorCode.RedisLost;
}

/** The Slack Web API did not answer `auth.test` at start-up. */
export class SlackUnreachableError extends SlackbotError {
  override readonly name = 'SlackUnreachableError';
  readonly code = SlackbotErrorCode.SlackUnreachable;
  constructor(
    readonly url: string,
    cause: string,
  ) {
    super(
      `cannot reach the Slack Web API at ${url} (${cause}); check that this host can reach it (DNS, firewall, HTTPS_PROXY), ` +
        'and slack.apiUrl / SLACK_API_URL if set: it is the Web API base and ends with /api/, e.g. https://slack.com/api/',
    );
  }
}

/** Slack answered `auth.test` with an error: the bot token is wrong, revoked or for another app. */
export class SlackRefusedError extends SlackbotError {
  override readonly name = 'SlackRefusedError';
  readonly code = SlackbotErrorCode.SlackRefused;
  constructor(
    readonly url: string,
    readonly slackError: string,
  ) {
    super(
      `Slack at ${url} refused SLACK_BOT_TOKEN (auth.test: ${slackError}); copy the Bot User OAuth Token again from the Slack app page, OAuth & Permissions, and reinstall the app if it was revoked`,
    );
  }
}
