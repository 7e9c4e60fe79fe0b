import { describe, expect, it } from 'vitest';
import { SlackbotErrorCode } from './errors.js';
import { secretsFromEnv } from './secrets.js';

const failure = (env: Record<string, string>) => {
  try {
    secretsFromEnv(env);
  } catch (error) {
    return error as Error & { code: string };
  }
  throw new Error('secretsFromEnv accepted the environment');
};

describe('secretsFromEnv', () => {
  it('says a set but malformed bot token is set, names what it looks like, and never echoes it', () => {
    const error = failure({ SLACK_BOT_TOKEN: 'xoxp-1234-secretpart', SLACK_SIGNING_SECRET: 's' });
    expect(error.code).toBe(SlackbotErrorCode.MalformedSecret);
    expect(error.message).toContain('SLACK_BOT_TOKEN is set but is not a bot token');
    expect(error.message).toContain('xoxp-, a user token');
    expect(error.message).not.toContain('is not set');
    expect(error.message).not.toContain('secretpart');
  });

  it('says a set but malformed app token is set', () => {
    const error = failure({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'garbage-value' });
    expect(error.code).toBe(SlackbotErrorCode.MalformedSecret);
    expect(error.message).toContain('SLACK_APP_TOKEN is set but is not an app-level token');
    expect(error.message).toContain('does not start with any Slack token prefix');
    expect(error.message).not.toContain('garbage-value');
  });

  it('says a missing bot token is not set', () => {
    const error = failure({ SLACK_SIGNING_SECRET: 's' });
    expect(error.code).toBe(SlackbotErrorCode.MissingSecret);
    expect(error.message).toContain('SLACK_BOT_TOKEN is not set');
  });

  it('accepts a bot token with a signing secret, or with an app token', () => {
    expect(secretsFromEnv({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's' }).appToken).toBeUndefined();
    expect(secretsFromEnv({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1' }).appToken).toBe('xapp-1');
  });
});
