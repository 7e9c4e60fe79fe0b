/** Stable codes callers branch on; never match on message text. */
export enum SlackbotErrorCode {
  MissingSecret = 'SLACKBOT_MISSING_SECRET',
  MalformedSecret = 'SLACKBOT_MALFORMED_SECRET',
  InvalidOptions = 'SLACKBOT_INVALID_OPTIONS',
  NotConfigured = 'SLACKBOT_NOT_CONFIGURED',
  SlackPostFailed = 'SLACKBOT_SLACK_POST_FAILED',
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
