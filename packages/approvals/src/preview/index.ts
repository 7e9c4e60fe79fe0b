import type { ApprovalPreview } from '../model.js';

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
