import { escapeInvisible, shorten } from '@gatehouse/policy';

/** Helpers for Slack mrkdwn. Everything that came from an agent or a user goes through `escapeText`. */

/**
 * Slack treats `<...>` as links and mentions (`<!channel>`) and `&` as an entity; an agent choosing a
 * resource name must not be able to ping a channel or fake a link. Control, bidi and zero-width
 * characters show as their escapes (`\u202E`): text must read as what runs.
 */
export function escapeText(text: string): string {
  return escapeMarkup(escapeInvisible(text));
}

/** Only Slack's markup characters, for text already made readable by `escapeInvisible`. */
export function escapeMarkup(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Text for a place with a Slack size limit, escaped for mrkdwn. Longer text is cut there and the
 * note says so — how much is shown, of how much, and the sha256 prefix of the whole as a person reads
 * it (the one rule, `shorten`) — so nothing is ever cut silently. `max` bounds the escaped text
 * (`&` becomes `&amp;` and counts five), which is what Slack's limits count.
 */
function fit(
  text: string,
  max: number,
  keepNewlines = false,
): { readonly shown: string; readonly note?: string | undefined } {
  const readable = escapeInvisible(text, { keepNewlines });
  let budget = max;
  for (;;) {
    const { shown, note } = shorten(readable, budget);
    const escaped = escapeMarkup(shown);
    if (escaped.length <= max || budget <= 1) return { shown: escaped, note };
    budget -= Math.max(1, escaped.length - max);
  }
}

/** Plain mrkdwn text (escaped), cut at `max` with the note in brackets. */
export function clip(text: string, max: number): string {
  const { shown, note } = fit(text, max);
  return note === undefined ? shown : `${shown}… _[shortened: ${note}]_`;
}

const SHORTENED = '… (shortened)';

/**
 * For `plain_text` fields (a header): not mrkdwn, so only invisible characters are escaped. `max`
 * bounds the result, the "(shortened)" mark included: Slack refuses a header past 150 characters.
 */
export function clipPlain(text: string, max: number): string {
  const readable = escapeInvisible(text);
  if (shorten(readable, max).note === undefined) return readable;
  return `${shorten(readable, max - SHORTENED.length).shown}${SHORTENED}`;
}

/** Inline code; a backtick inside would end it early, so it becomes a look-alike. */
export function code(text: string, max = 300): string {
  const { shown, note } = fit(text, max);
  const inline = `\`${shown.replace(/`/g, 'ˋ')}\``;
  return note === undefined ? inline : `${inline}… _[shortened: ${note}]_`;
}

/** A fenced block (the command, the change: line breaks kept); when shortened, the note follows the block. */
export function codeBlock(text: string, max = 2_800): string {
  const { shown, note } = fit(text, max, true);
  const block = `\`\`\`${shown.replace(/```/g, 'ˋˋˋ')}\`\`\``;
  return note === undefined
    ? block
    : `${block}\n:warning: *Shortened*: ${note}. *Show everything* (and the slash command's show) has it complete.`;
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
