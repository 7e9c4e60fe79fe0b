/**
 * The query string as the Kubernetes API server reads it, so the policy judges the parameters
 * the cluster will act on and no others.
 *
 * The API server is a Go net/http server: `readRequest` parses the request-target with
 * `url.ParseRequestURI`, which does not cut a `#fragment` (a raw `#` stays in `RawQuery`), and
 * handlers read `req.URL.Query()`, which is `url.ParseQuery` with its error ignored
 * (golang/go src/net/url/url.go `parseQuery`, `unescape`; src/net/http/request.go `readRequest`).
 * `URLSearchParams` differs in exactly the ways that matter: it keeps pairs Go drops.
 */

/**
 * Go's ParseQuery since 1.24.12/1.25.6 (CVE-2025-61726) returns no values at all beyond this
 * many parameters; older API servers read them all. Two builds read such a query differently,
 * so the parser refuses it rather than pick one.
 */
export const MAX_QUERY_PARAMETERS = 10_000;

export type ParsedQuery =
  | { readonly ok: true; readonly params: URLSearchParams }
  | { readonly ok: false; readonly reason: string };

/**
 * `url.ParseQuery`, pair by pair: split on `&` only; a pair containing `;` is dropped (Go ≥ 1.17);
 * empty pairs are skipped; key and value are unescaped with `+` as space, and a pair with a `%` not
 * followed by two hex digits is dropped. Repeated keys keep every value in order.
 */
export function parseQuery(raw: string): ParsedQuery {
  if (countParameters(raw) > MAX_QUERY_PARAMETERS) {
    return {
      ok: false,
      reason: `the query has more than ${MAX_QUERY_PARAMETERS} parameters, which API servers read differently by Go version`,
    };
  }
  const params = new URLSearchParams();
  for (const pair of raw.split('&')) {
    if (pair === '' || pair.includes(';')) continue;
    const eq = pair.indexOf('=');
    const key = queryUnescape(eq === -1 ? pair : pair.slice(0, eq));
    const value = queryUnescape(eq === -1 ? '' : pair.slice(eq + 1));
    if (key === undefined || value === undefined) continue;
    params.append(key, value);
  }
  return { ok: true, params };
}

function countParameters(raw: string): number {
  let count = 1;
  for (let i = raw.indexOf('&'); i !== -1; i = raw.indexOf('&', i + 1)) count++;
  return count;
}

const HEX = /^[0-9a-fA-F]{2}$/;

/** Go's `unescape(s, encodeQueryComponent)`: undefined where Go returns an EscapeError. */
function queryUnescape(text: string): string | undefined {
  if (!text.includes('%') && !text.includes('+')) return text;
  const bytes: number[] = [];
  const raw = Buffer.from(text, 'utf8');
  for (let i = 0; i < raw.length; i++) {
    const byte = raw[i]!;
    if (byte === 0x25 /* % */) {
      const hex = raw.subarray(i + 1, i + 3).toString('latin1');
      if (!HEX.test(hex)) return undefined;
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else bytes.push(byte === 0x2b /* + */ ? 0x20 : byte);
  }
  // Go strings are bytes; invalid UTF-8 becomes U+FFFD here, which never equals a value we look for.
  return Buffer.from(bytes).toString('utf8');
}
