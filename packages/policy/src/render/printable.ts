/** Longest raw text (method, path) echoed back to humans; the rest is cut with an ellipsis. */
const MAX_SHOWN = 256;

/**
 * Text from the request made safe to show in Slack, a Status message or a log line:
 * anything but printable ASCII is %-escaped (no newlines, no invisible characters, no
 * look-alikes), and very long values are cut.
 */
export function printable(text: string): string {
  const escaped = text.replace(/[^\x21-\x7e]/gu, (c) =>
    [...new TextEncoder().encode(c)].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  );
  return escaped.length > MAX_SHOWN ? `${escaped.slice(0, MAX_SHOWN)}…` : escaped;
}
