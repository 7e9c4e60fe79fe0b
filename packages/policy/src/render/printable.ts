import { createHash } from 'node:crypto';

/**
 * Characters that show as nothing, as something else, or reorder what follows: controls (Cc),
 * format characters (Cf: U+202E RIGHT-TO-LEFT OVERRIDE, U+2066–2069 isolates, U+200B–200D zero-width,
 * U+FEFF), surrogates and private use, unassigned code points, line/paragraph separators, every
 * Default_Ignorable code point (U+115F/U+3164 Hangul fillers, variation selectors, U+00AD) and every
 * space but U+0020 (U+00A0, U+3000 look like a space and are not one).
 */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}]|[^\P{Zs} ]/gu;

const SHORT_ESCAPES: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeOne(c: string): string {
  const short = SHORT_ESCAPES[c];
  if (short !== undefined) return short;
  const code = c.codePointAt(0) ?? 0;
  const hex = code.toString(16).toUpperCase();
  return code > 0xffff ? `\\u{${hex}}` : `\\u${hex.padStart(4, '0')}`;
}

/**
 * Text from a request, a user or the cluster made safe to show a human (Slack, `gatehouse-audit
 * show`, a Status message kubectl prints): every character that does not show as itself is written
 * as its escape (`\u202E`, `\u200B`, `\n`), so what a person reads is what runs. Everything else,
 * letters of any script included, stays. Idempotent (an escape is plain ASCII), so layers that each
 * escape cannot double it; a literal backslash is left alone, so `\u202E` typed as six characters
 * reads the same as the character itself: either way the approver sees that something is there.
 */
export function escapeInvisible(text: string, options: { readonly keepNewlines?: boolean } = {}): string {
  // A multi-line block (a diff, a YAML body) keeps its line breaks: each shows as one, nothing hides.
  if (options.keepNewlines)
    return text
      .split('\n')
      .map((line) => line.replace(INVISIBLE, escapeOne))
      .join('\n');
  return text.replace(INVISIBLE, escapeOne);
}

/**
 * Method and path of a request the parser could not classify, for Slack, a Status message or a log
 * line: anything but printable ASCII is %-escaped (no newlines, no invisible characters, no
 * look-alikes), as a URL would carry it. Complete: shorten where it is shown ({@link shorten}).
 */
export function printable(text: string): string {
  return text.replace(/[^\x21-\x7e]/gu, (c) =>
    [...new TextEncoder().encode(c)].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  );
}

/** What {@link shorten} kept, and how to tell a reader that it is not all. */
export interface Shortened {
  /** The text, or its first `max` characters (code points; never half a surrogate pair or escape). */
  readonly shown: string;
  /** Only when cut: `shown 2,700 of 3,214 characters, sha256 1a2b3c4d5e6f`. */
  readonly note?: string | undefined;
}

/** Characters of a sha256 prefix: enough to compare two texts by eye. */
const HASH_PREFIX = 12;

/** The sha256 prefix readers compare: of the text exactly as it is shown in full. */
export function textHash(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex').slice(0, HASH_PREFIX);
}

/**
 * The one shortening rule: text longer than `max` characters is cut there and the reader is told —
 * how much was shown, the full length and a hash of the complete text — so nothing is ever cut
 * silently. Callers add where the complete text is (`/gatehouse show <id>`, a thread, a button).
 */
export function shorten(text: string, max: number): Shortened {
  const chars = [...text];
  if (chars.length <= max) return { shown: text };
  let end = max;
  // Never end inside an escape this module wrote (`\u20`, `\u{1F`): a reader could misread it.
  const tail = chars.slice(Math.max(0, end - 10), end).join('');
  const partial = /\\(u\{?[0-9A-F]*)?$/.exec(tail);
  if (partial) end -= partial[0].length;
  const count = (n: number) => n.toLocaleString('en-US');
  return {
    shown: chars.slice(0, end).join(''),
    note: `shown ${count(end)} of ${count(chars.length)} characters, sha256 ${textHash(text)}`,
  };
}
