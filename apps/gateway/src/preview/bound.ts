import type { ApprovalPreview, ChangePreview } from '@gatehouse/approvals';
import { shorten } from '@gatehouse/policy';

/**
 * The most characters of one value a stored preview keeps (a diff's before or after, a body's text).
 * The approval message shows 2,500 characters of a change and Show everything a few hundred
 * thousand in all, while a held body may be 1.5 MiB (`gateway.maxHeldBodySize`): stored whole, a
 * create's dry run put a second copy of the body in Redis for as long as the approval is kept.
 */
export const PREVIEW_VALUE_LIMIT = 16 * 1024;

/** A value cut at the limit, saying so with the complete value's length and hash (policy's `shorten`). */
function bounded(text: string): string {
  const { shown, note } = shorten(text, PREVIEW_VALUE_LIMIT);
  return note === undefined ? text : `${shown} … (${note})`;
}

function boundedChange(change: ChangePreview): ChangePreview {
  if (change.kind === 'body') return { ...change, text: bounded(change.text) };
  return {
    kind: 'diff',
    changes: change.changes.map((field) => ({
      ...field,
      ...(field.before === undefined ? {} : { before: bounded(field.before) }),
      ...(field.after === undefined ? {} : { after: bounded(field.after) }),
    })),
  };
}

/** The preview as stored on the approval: every value of its change at most {@link PREVIEW_VALUE_LIMIT} characters. */
export function boundedPreview(preview: ApprovalPreview): ApprovalPreview {
  if (!('change' in preview) || preview.change === undefined) return preview;
  return { ...preview, change: boundedChange(preview.change) };
}
