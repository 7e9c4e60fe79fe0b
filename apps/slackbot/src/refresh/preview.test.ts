import type { ApprovalPreview } from '@gatehouse/approvals';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { blocksText, Harness, USERS } from '../test-support/index.js';

const preview: ApprovalPreview = {
  status: 'ready',
  summary: 'Would delete namespace payments-staging with 3 deployments, 12 pods (11 running), 4 secrets',
  dryRun: { outcome: 'would-succeed' },
  at: 1_750_000_000_000,
  durationMs: 40,
};

describe('the blast radius', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await new Harness().start();
  });
  afterEach(() => h.close());

  it('arrives after the post and updates the message; `show` has it too', async () => {
    const approval = await h.posted((await h.open()).id);
    expect(h.messageText(approval)).not.toContain('Blast radius');

    await h.approvals.setPreview(approval.id, preview);
    await h.waitForMessage(approval, 'to show the blast radius', (text) => text.includes('Blast radius'));
    expect(h.messageText(approval)).toContain(`${preview.summary}; dry run: would succeed`);
    // The buttons are still there: a preview changes what people see, not what they can do.
    expect(h.messageText(approval)).toContain('Approve');

    const shown = await h.slash(USERS.mallory, `show ${approval.id}`);
    expect(blocksText(shown.blocks)).toContain(`${preview.summary}; dry run: would succeed`);
  });

  it('a preview stored before the post is in the first message', async () => {
    await h.stopBot();
    const opened = await h.open();
    await h.approvals.setPreview(opened.id, {
      status: 'unavailable',
      reason: 'cluster prod did not answer within 3s',
      at: 1,
      durationMs: 3000,
    });
    await h.startBot();
    const approval = await h.posted(opened.id);
    expect(h.messageText(approval)).toContain('preview unavailable: cluster prod did not answer within 3s');
  });
});
