import type { ApprovalRequest } from '@gatehouse/approvals';
import { describe, expect, it } from 'vitest';
import { ActionId } from '../ids.js';
import { blocksText, openInput } from '../test-support/index.js';
import { BURST_SHOWN, renderBurst } from './burst.js';

function waiting(index: number, overrides: Partial<ApprovalRequest> = {}): ApprovalRequest {
  return {
    ...openInput({ command: `kubectl delete deployment web-${index} -n prod-eu` }),
    id: `id${index}`,
    fingerprint: 'f'.repeat(64),
    createdAt: 1_750_000_000_000 + index,
    expiresAt: 1_750_000_600_000 + index,
    state: 'pending',
    votes: [],
    revision: 0,
    ...overrides,
  };
}

const buttons = (blocks: readonly unknown[]) =>
  blocks.flatMap((block) => {
    const accessory = (block as { accessory?: { action_id?: string; value?: string } }).accessory;
    return accessory?.action_id === ActionId.PostForReview ? [accessory.value] : [];
  });

describe('burst message', () => {
  it('says how many wait, lists the first ones with command, cluster, rule and expiry, one button each', () => {
    const shown = Array.from({ length: BURST_SHOWN }, (_, i) => waiting(i));
    const rendered = renderBurst({ agent: 'agent-oncall', total: 15, waiting: shown }, 5);
    const text = blocksText(rendered.blocks);
    expect(rendered.text).toBe('agent-oncall has 15 more requests waiting for review');
    expect(text).toContain('`kubectl delete deployment web-0 -n prod-eu`');
    expect(text).toContain('on `prod` · rule `prod-delete` · expires <!date^1750000600^');
    expect(text).toContain('and 5 more');
    expect(text).toContain('At most 5 requests of one agent have their own message at once');
    expect(buttons(rendered.blocks)).toEqual(shown.map((approval) => approval.id));
  });

  it('escapes what the agent controls', () => {
    const rendered = renderBurst(
      {
        agent: 'agent-oncall',
        total: 1,
        waiting: [waiting(0, { command: 'kubectl delete pod <!channel>' })],
      },
      5,
    );
    expect(blocksText(rendered.blocks)).not.toContain('<!channel>');
  });

  it('says so once nothing waits, with no buttons', () => {
    const rendered = renderBurst({ agent: 'agent-oncall', total: 0, waiting: [] }, 5);
    expect(rendered.text).toBe(
      'No more requests of `agent-oncall` are waiting: each has its own message, or has ended.',
    );
    expect(buttons(rendered.blocks)).toEqual([]);
  });
});
