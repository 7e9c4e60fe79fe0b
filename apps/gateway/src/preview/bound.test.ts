import type { ApprovalPreview } from '@gatehouse/approvals';
import { textHash } from '@gatehouse/policy';
import { describe, expect, it } from 'vitest';
import { boundedPreview, PREVIEW_VALUE_LIMIT } from './bound.js';

const ready = (
  change: NonNullable<Extract<ApprovalPreview, { status: 'ready' }>['change']>,
): ApprovalPreview => ({
  status: 'ready',
  summary: '',
  change,
  at: 0,
  durationMs: 1,
});

describe('boundedPreview', () => {
  it("cuts a 3 MiB value of a create's diff at the limit and says how long it was, with its hash", () => {
    const blob = JSON.stringify('x'.repeat(3 * 1024 * 1024));
    const stored = boundedPreview(
      ready({
        kind: 'diff',
        changes: [
          { path: 'data.blob', op: 'add', after: blob },
          { path: 'data.small', op: 'add', after: '"a"' },
        ],
      }),
    );
    if (stored.status !== 'ready' || stored.change?.kind !== 'diff') throw new Error('not a diff');
    const [big, small] = stored.change.changes;
    expect(big?.after?.length).toBeLessThan(PREVIEW_VALUE_LIMIT + 200);
    expect(big?.after?.startsWith(blob.slice(0, PREVIEW_VALUE_LIMIT))).toBe(true);
    expect(big?.after).toContain(
      `shown 16,384 of ${blob.length.toLocaleString('en-US')} characters, sha256 ${textHash(blob)}`,
    );
    expect(small).toEqual({ path: 'data.small', op: 'add', after: '"a"' });
  });

  it('cuts a body shown in place of a diff, and keeps before and after apart', () => {
    const text = 'y'.repeat(PREVIEW_VALUE_LIMIT + 1);
    const body = boundedPreview(
      ready({ kind: 'body', reason: 'no dry run', contentType: 'application/json', text }),
    );
    expect(body.status === 'ready' && body.change?.kind === 'body' && body.change.text).toMatch(
      /^y{16384} … \(shown 16,384 of 16,385 characters, sha256 [0-9a-f]+\)$/,
    );
    const diff = boundedPreview(
      ready({ kind: 'diff', changes: [{ path: 'spec', op: 'change', before: text, after: '1' }] }),
    );
    expect(diff.status === 'ready' && diff.change?.kind === 'diff' && diff.change.changes[0]).toMatchObject({
      before: expect.stringContaining('shown 16,384 of 16,385'),
      after: '1',
    });
  });

  it('cuts the body an unavailable preview shows instead', () => {
    const text = 'z'.repeat(PREVIEW_VALUE_LIMIT * 2);
    const stored = boundedPreview({
      status: 'unavailable',
      reason: 'the cluster did not answer within 3s',
      change: { kind: 'body', reason: 'timed out', contentType: 'application/json', text },
      at: 0,
      durationMs: 3000,
    });
    expect(stored.status === 'unavailable' && stored.change?.kind === 'body' && stored.change.text).toContain(
      'shown 16,384 of 32,768 characters',
    );
  });

  it('leaves a preview without a change as it is', () => {
    const unavailable: ApprovalPreview = { status: 'unavailable', reason: 'off', at: 0, durationMs: 0 };
    expect(boundedPreview(unavailable)).toBe(unavailable);
    const counts = ready({ kind: 'diff', changes: [] });
    expect(boundedPreview(counts)).toEqual(counts);
  });
});
