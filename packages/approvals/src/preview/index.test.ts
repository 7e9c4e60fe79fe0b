import { describe, expect, it } from 'vitest';
import { describeChange, describePreview } from './index.js';

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

describe('describeChange', () => {
  it('shows one line per field, and a hidden value as changed only', () => {
    expect(
      describeChange({
        kind: 'diff',
        changes: [
          { path: 'spec.replicas', op: 'change', before: '3', after: '0' },
          { path: 'spec.template.spec.containers[name=app].command', op: 'add', after: '["sh"]' },
          { path: 'metadata.labels.team', op: 'remove', before: '"payments"' },
          { path: 'data.password', op: 'change' },
        ],
      }),
    ).toBe(
      [
        '~ spec.replicas: 3 → 0',
        '+ spec.template.spec.containers[name=app].command: ["sh"]',
        '- metadata.labels.team: "payments"',
        '~ data.password changed',
      ].join('\n'),
    );
    expect(describeChange({ kind: 'diff', changes: [] })).toBe('no field would change');
  });

  it('says why there is no diff before the body', () => {
    expect(
      describeChange({ kind: 'body', reason: 'no dry run', contentType: 'application/json', text: '{}' }),
    ).toBe('no dry run; the request body (application/json):\n{}');
  });
});
