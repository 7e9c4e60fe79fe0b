import { escapeInvisible } from '@gatehouse/policy';

/** Helpers for Slack mrkdwn. Everything that came from an agent or a user goes through `escapeText`. */

/**
 * Slack treats `<...>` as links and mentions (`<!channel>`) and `&` as an entity; an agent choosing a
 * resource name must not be able to ping a channel or fake a link. Control, bidi and zero-width
 * characters show as their escapes (`\u202E`): text must read as what runs.
 */
export function escapeText(text: string): string {
  return escapeInvisible(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Inline code; a backtick inside would end it early, so it becomes a look-alike. */
export function code(text: string, max = 300): string {
  return `\`${escapeText(truncate(text, max)).replace(/`/g, 'ˋ')}\``;
}

/** A fenced block for the kubectl command. */
export function codeBlock(text: string, max = 2_800): string {
  return `\`\`\`${escapeText(truncate(text, max)).replace(/```/g, 'ˋˋˋ')}\`\`\``;
}

/** A user mention; ids are validated Slack ids, but escape anyway so a stored value cannot inject. */
export function mention(userId: string): string {
  return /^[UW][A-Z0-9]+$/.test(userId) ? `<@${userId}>` : escapeText(userId);
}

/** A date Slack shows in the reader's time zone, with an ISO fallback for clients that cannot. */
export function date(epochMs: number): string {
  const seconds = Math.floor(epochMs / 1000);
  return `<!date^${seconds}^{date_short_pretty} at {time_secs}|${new Date(epochMs).toISOString()}>`;
}

/** "3m", "2h 5m", "1d 4h": how long ago or how far ahead, for listings. */
export function duration(ms: number): string {
  const minutes = Math.max(0, Math.floor(ms / 60_000));
  if (minutes < 1) return `${Math.max(0, Math.floor(ms / 1000))}s`;
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}h ${minutes % 60}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count.toLocaleString('en-US')} ${count === 1 ? one : many}`;
}
