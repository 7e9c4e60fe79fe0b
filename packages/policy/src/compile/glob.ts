/** A compiled list of glob patterns (`*` any run of characters, `?` one character). */
export type StringMatcher = (value: string | undefined) => boolean;

/**
 * Exact patterns go into a Set and wildcard ones into one anchored RegExp, so a rule with
 * many names costs one lookup and at most one regex test per decision.
 */
export function compileGlobs(patterns: readonly string[]): StringMatcher {
  const exact = new Set(patterns.filter((p) => !/[*?]/.test(p)));
  const wild = patterns.filter((p) => /[*?]/.test(p)).map(globSource);
  const regex = wild.length === 0 ? undefined : new RegExp(`^(?:${wild.join('|')})$`, 's');
  return (value) => value !== undefined && (exact.has(value) || (regex?.test(value) ?? false));
}

function globSource(pattern: string): string {
  return pattern
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.|+()[\]{}]/g, '\\$&')))
    .join('');
}
