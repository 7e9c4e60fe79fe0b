/**
 * The request-target as the real API server (a Go net/http server) reads it, written from Go's
 * source (src/net/http/request.go `readRequest`, src/net/url/url.go `ParseRequestURI`,
 * `parseQuery`, `unescape`) and kept apart from the gateway's parser on purpose: the stand-in is
 * what the gateway is checked against, so one shared mistake must not hide in both.
 *
 * - `ParseRequestURI` assumes there is no fragment: only the first `?` splits, and a raw `#` stays
 *   in the query (`new URL()` would cut it off as a fragment).
 * - `req.URL.Query()` is `ParseQuery` with the error ignored: pairs split on `&`; a pair holding
 *   `;` is dropped; a pair with a `%` not followed by two hex digits is dropped; `+` is a space;
 *   every value of a repeated key is kept, in order. Beyond 10,000 parameters Go ≥ 1.24.12
 *   returns none (CVE-2025-61726); that is what this stand-in does.
 */

const MAX_PARAMETERS = 10_000;

export interface RequestTarget {
  /** The path part, still escaped (a `#` in it shown as `%23`, as Go's EscapedPath writes it). */
  readonly path: string;
  readonly query: URLSearchParams;
}

export function parseRequestTarget(target: string): RequestTarget {
  const at = target.indexOf('?');
  const rawPath = at === -1 ? target : target.slice(0, at);
  const rawQuery = at === -1 ? '' : target.slice(at + 1);
  // Resolve dot segments and keep escapes as `new URL` does; only the `#` must survive it.
  const path = new URL(rawPath.replaceAll('#', '%23'), 'http://upstream').pathname;
  return { path, query: goParseQuery(rawQuery) };
}

export function goParseQuery(rawQuery: string): URLSearchParams {
  const values = new URLSearchParams();
  if (rawQuery.split('&').length > MAX_PARAMETERS) return values;
  for (const part of rawQuery.split('&')) {
    if (part.includes(';') || part === '') continue;
    const [rawKey = '', ...rest] = part.split('=');
    const key = unescapeQueryComponent(rawKey);
    const value = unescapeQueryComponent(rest.join('='));
    if (key !== null && value !== null) values.append(key, value);
  }
  return values;
}

/** `url.QueryUnescape`: null for a malformed escape (Go's EscapeError). */
function unescapeQueryComponent(s: string): string | null {
  const input = Buffer.from(s, 'utf8');
  const out: number[] = [];
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!;
    if (c === 0x25) {
      const hi = hexValue(input[i + 1]);
      const lo = hexValue(input[i + 2]);
      if (hi === null || lo === null) return null;
      out.push(hi * 16 + lo);
      i += 2;
    } else out.push(c === 0x2b ? 0x20 : c);
  }
  return Buffer.from(out).toString('utf8');
}

function hexValue(c: number | undefined): number | null {
  if (c === undefined) return null;
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return null;
}

/**
 * A boolean query parameter as the API server converts it into its options structs
 * (apimachinery pkg/runtime/conversion.go Convert_Slice_string_To_bool): absent, "0" or "false"
 * (any case) is false; anything else — "True" as the Python client sends it, "1", even "" — is true.
 */
export function queryFlag(query: URLSearchParams, name: string): boolean {
  const value = query.get(name);
  return value !== null && value !== '0' && value.toLowerCase() !== 'false';
}
