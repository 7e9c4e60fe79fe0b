import { type AuthTestResponse, ErrorCode, LogLevel, WebClient } from '@slack/web-api';
import { SlackRefusedError, SlackUnreachableError } from './errors.js';

/** The Web API base Slack's own clients use. */
export const SLACK_API_URL = 'https://slack.com/api/';

export interface SlackCheckOptions {
  readonly token: string;
  /** Ends with a slash (WebClient appends the method name). @defaultValue SLACK_API_URL */
  readonly slackApiUrl?: string | undefined;
  readonly timeoutMs: number;
}

/**
 * `auth.test` once, at start-up, without the long retries of the bot's own client (five over about
 * five minutes, during which the bot would say nothing): a bot that cannot reach Slack, or whose
 * token Slack refuses, stops with an error that names the URL, the cause and what to check.
 */
export async function checkSlack(options: SlackCheckOptions): Promise<AuthTestResponse> {
  const base = options.slackApiUrl ?? SLACK_API_URL;
  const client = new WebClient(options.token, {
    slackApiUrl: base,
    retryConfig: { retries: 1, minTimeout: 500, maxTimeout: 500 },
    timeout: options.timeoutMs,
    // Its "http request failed" warnings would come before, and say less than, the error below.
    logLevel: LogLevel.ERROR,
    logger: quietLogger,
  });
  const url = `${base}auth.test`;
  try {
    return await client.auth.test();
  } catch (error) {
    const coded = error as {
      code?: unknown;
      data?: { error?: string };
      statusCode?: number;
      original?: unknown;
    };
    if (coded.code === ErrorCode.PlatformError)
      throw new SlackRefusedError(url, coded.data?.error ?? 'unknown error');
    if (coded.code === ErrorCode.HTTPError) {
      throw new SlackUnreachableError(url, `HTTP ${coded.statusCode}: not a Slack Web API there`);
    }
    throw new SlackUnreachableError(url, causeOf(coded.original ?? error));
  }
}

/** fetch's "fetch failed" hides the reason in `cause` (ECONNREFUSED, ENOTFOUND, a certificate error…). */
function causeOf(error: unknown): string {
  const inner = (error as { cause?: unknown }).cause;
  if (inner instanceof Error) return inner.message;
  return error instanceof Error ? error.message : String(error);
}

const ignore = () => undefined;
const quietLogger = {
  debug: ignore,
  info: ignore,
  warn: ignore,
  error: ignore,
  setLevel: ignore,
  getLevel: () => LogLevel.ERROR,
  setName: ignore,
};
