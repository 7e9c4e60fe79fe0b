import { describe, expect, it } from 'vitest';
import { describePreview } from './index.js';

describe('describePreview', () => {
  it('joins the summary and the dry run', () => {
    const ready = { status: 'ready', summary: 'Would delete: 2 pods', at: 1, durationMs: 5 } as const;
    expect(describePreview(ready)).toBe('Would delete: 2 pods');
    expect(describePreview({ ...ready, dryRun: { outcome: 'would-succeed' } })).toBe(
      'Would delete: 2 pods; dry run: would succeed',
    );
    expect(
      describePreview({ ...ready, summary: '', dryRun: { outcome: 'would-fail', message: 'forbidden' } }),
    ).toBe('dry run: would fail: forbidden');
  });

  it('says why a preview is unavailable', () => {
    expect(
      describePreview({ status: 'unavailable', reason: 'timed out after 3s', at: 1, durationMs: 3000 }),
    ).toBe('preview unavailable: timed out after 3s');
  });
});
