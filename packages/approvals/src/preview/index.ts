import type { ApprovalPreview, ChangePreview, FieldChange } from '../model.js';

/**
 * The preview as one plain-text line (not escaped for any markup), so the Slack message, `show` and
 * the audit say the same thing: `Would delete: 2 deployments, 4 secrets; dry run: would succeed`.
 */
export function describePreview(preview: ApprovalPreview): string {
  if (preview.status === 'unavailable') return `preview unavailable: ${preview.reason}`;
  const dryRun =
    preview.dryRun === undefined
      ? undefined
      : preview.dryRun.outcome === 'would-succeed'
        ? 'dry run: would succeed'
        : `dry run: would fail: ${preview.dryRun.message ?? 'no reason given'}`;
  return [preview.summary, dryRun].filter((part) => part !== undefined && part !== '').join('; ');
}

function changeLine(change: FieldChange): string {
  const hidden = change.before === undefined && change.after === undefined;
  switch (change.op) {
    case 'add':
      return hidden ? `+ ${change.path} added` : `+ ${change.path}: ${change.after}`;
    case 'remove':
      return hidden ? `- ${change.path} removed` : `- ${change.path}: ${change.before}`;
    case 'change':
      return hidden ? `~ ${change.path} changed` : `~ ${change.path}: ${change.before} → ${change.after}`;
  }
}

/**
 * A write's change as plain text, one line per field (`~ spec.replicas: 3 → 0`,
 * `~ data.password changed`), or the body with why there is no diff. Complete: renderers that must
 * shorten it say so. Not escaped for any markup.
 */
export function describeChange(change: ChangePreview): string {
  if (change.kind === 'body')
    return `${change.reason}; the request body (${change.contentType}):\n${change.text}`;
  if (change.changes.length === 0) return 'no field would change';
  return change.changes.map(changeLine).join('\n');
}
