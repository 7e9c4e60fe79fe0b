/**
 * What a person sees of a Block Kit message in the Slack client, as plain terminal text, for the demo:
 * Slack's mrkdwn as Slack documents it (https://api.slack.com/reference/surfaces/formatting) —
 * `<@U…>` as @name, `<!date^…>` in the reader's local time, `<url|label>` as the label, `:emoji:`
 * as the symbol, `*bold*` / `_italic_` / `~strike~` / code marks dropped, `&lt;` `&gt;` `&amp;` decoded —
 * and the blocks laid out the way the client does (header, "Label: value" fields, buttons).
 */

export interface SeenOptions {
  /** Slack user id → display name (`U0BOB` → `bob`). */
  readonly names: Readonly<Record<string, string>>;
  /** The reader's "now", for Today / Yesterday. @defaultValue Date.now() */
  readonly now?: number;
  /** The reader's time zone. @defaultValue the process's */
  readonly timeZone?: string;
}

/** The emoji our messages use (apps/slackbot/src/render), as the Slack client draws them. */
const EMOJI: Readonly<Record<string, string>> = {
  white_check_mark: '✅',
  x: '❌',
  no_entry: '⛔',
  rocket: '🚀',
  mag: '🔍',
  hourglass: '⌛',
  hourglass_flowing_sand: '⏳',
  warning: '⚠️',
  grey_question: '❔',
  lock: '🔒',
  bell: '🔔',
};

export function slackAsSeen(blocks: readonly unknown[], options: SeenOptions): string {
  const lines: string[] = [];
  for (const block of blocks as readonly Block[]) {
    switch (block.type) {
      case 'header':
        lines.push(plain(block.text?.text ?? '').toUpperCase());
        break;
      case 'section':
        if (block.text) lines.push(mrkdwn(block.text.text, options));
        for (const field of block.fields ?? []) lines.push(labelled(mrkdwn(field.text, options)));
        break;
      case 'context':
        lines.push((block.elements ?? []).map((element) => mrkdwn(textOf(element), options)).join('  '));
        break;
      case 'actions':
        lines.push((block.elements ?? []).map((element) => `[ ${plain(textOf(element))} ]`).join(' '));
        break;
      case 'divider':
        lines.push('────────');
        break;
      default:
        break;
    }
  }
  return lines.join('\n');
}

interface Block {
  readonly type: string;
  readonly text?: { readonly text: string };
  readonly fields?: readonly { readonly text: string }[];
  /** Context elements carry mrkdwn `text`; buttons carry `text: { text }`. */
  readonly elements?: readonly { readonly text?: string | { readonly text: string } }[];
}

const textOf = (element: { readonly text?: string | { readonly text: string } }): string =>
  typeof element.text === 'string' ? element.text : (element.text?.text ?? '');

/** A field "*Cluster*\n`payments`" reads as "Cluster: payments" (the client shows the label above). */
function labelled(text: string): string {
  const [label, ...rest] = text.split('\n');
  return rest.length > 0 ? `${label}: ${rest.join(' ')}` : text;
}

/** plain_text: only the HTML entities Slack escapes. */
function plain(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** mrkdwn to what the reader sees; code spans and blocks are kept verbatim (no emoji, no marks inside). */
export function mrkdwn(text: string, options: SeenOptions): string {
  const parts = text.split(/(```[\s\S]*?```|`[^`\n]*`)/);
  return parts
    .map((part, index) => {
      if (index % 2 === 1) {
        const fenced = part.startsWith('```');
        const inner = fenced ? part.slice(3, -3) : part.slice(1, -1);
        return fenced ? `\n    ${plain(inner).split('\n').join('\n    ')}\n` : plain(inner);
      }
      return plain(
        part
          .replace(/<([^<>]+)>/g, (_, inner: string) => special(inner, options))
          .replace(/:([a-z0-9_+-]+):/g, (whole, name: string) => EMOJI[name] ?? whole)
          .replace(/(^|[\s(])[*_~]([^*_~\n]+)[*_~](?=$|[\s).,:;!?])/g, '$1$2'),
      );
    })
    .join('')
    .replace(/^\n|\n$/g, '');
}

/** `<…>` sequences: mentions, dates, links. */
function special(inner: string, options: SeenOptions): string {
  const [target = '', label] = inner.split('|', 2);
  if (target.startsWith('@')) return `@${options.names[target.slice(1)] ?? target.slice(1)}`;
  if (target.startsWith('#')) return label ? `#${label}` : target;
  if (target.startsWith('!date^')) {
    const [, seconds, format = ''] = target.split('^');
    return formatDate(Number(seconds) * 1000, format, options);
  }
  if (target.startsWith('!')) return `@${target.slice(1)}`;
  return label ?? target;
}

/** Slack's date tokens, in the reader's time zone (the tokens our renderer uses, and the common ones). */
function formatDate(epochMs: number, format: string, options: SeenOptions): string {
  const timeZone = options.timeZone;
  const at = new Date(epochMs);
  const dayOf = (ms: number) => new Intl.DateTimeFormat('en-CA', { timeZone }).format(new Date(ms));
  const now = options.now ?? Date.now();
  const pretty = () => {
    const day = dayOf(epochMs);
    if (day === dayOf(now)) return 'Today';
    if (day === dayOf(now - 86_400_000)) return 'Yesterday';
    if (day === dayOf(now + 86_400_000)) return 'Tomorrow';
    return new Intl.DateTimeFormat('en-US', {
      timeZone,
      month: 'short',
      day: 'numeric',
      year: 'numeric',
    }).format(at);
  };
  const time = (seconds: boolean) =>
    new Intl.DateTimeFormat('en-US', {
      timeZone,
      hour: 'numeric',
      minute: '2-digit',
      ...(seconds ? { second: '2-digit' } : {}),
    }).format(at);
  return format
    .replace('{date_short_pretty}', pretty())
    .replace('{date_pretty}', pretty())
    .replace('{date_num}', dayOf(epochMs))
    .replace('{time_secs}', time(true))
    .replace('{time}', time(false));
}
