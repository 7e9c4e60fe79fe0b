import type { Decision, ObservedRule } from '@gatehouse/policy';

/**
 * Kubernetes `Warning` response headers for the rules in `warn` mode that matched: kubectl prints each
 * as `Warning: <text>` on stderr, whatever the status.
 *
 * The format is the API server's: `299 - "<text>"` (RFC 7234 §5.5 warn-code 299, "miscellaneous
 * persistent warning", agent `-`), with `"` and `\` escaped — k8s.io/apimachinery/pkg/util/net/http.go
 * NewWarningHeader, written by k8s.io/apiserver/pkg/endpoints/filters/warning.go's recorder. The API
 * server drops a warning whose text has control characters; here they become spaces, so the rule is
 * still named. Text is UTF-8 on the wire, as Go writes it (Node's headers are Latin-1 strings).
 */
export function policyWarnings(decision: Decision): string[] {
  return (decision.observed ?? []).filter((o) => o.mode === 'warn').map((o) => warningHeader(warningText(o)));
}

function warningText(observed: ObservedRule): string {
  const would =
    observed.effect === 'deny'
      ? 'deny this request'
      : observed.effect === 'require'
        ? 'hold this request for approval'
        : 'allow this request';
  return `gatehouse policy rule ${observed.rule} (mode warn) would ${would}: ${observed.reason}`;
}

export function warningHeader(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is replaced
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ');
  const quoted = `"${clean.replace(/["\\]/g, (c) => `\\${c}`)}"`;
  return Buffer.from(`299 - ${quoted}`, 'utf8').toString('latin1');
}
