import type { PolicyStats, RuleStats } from '@gatehouse/audit';
import { blockLimitProblems } from '@gatehouse/testkit/slack-api';
import { describe, expect, it } from 'vitest';
import { blocksText } from '../test-support/index.js';
import { boundedList, renderSummary, SUMMARY_RULES_SHOWN } from './summary.js';

const WINDOW = { fromMs: Date.UTC(2026, 10, 23, 8), toMs: Date.UTC(2026, 10, 30, 8) };

function rule(name: string, overrides: Partial<RuleStats> = {}): RuleStats {
  return {
    rule: name,
    held: 3,
    approved: 2,
    denied: 1,
    expired: 0,
    medianDecideMs: 42_000,
    approvedQuickly: 0.5,
    approvers: 2,
    alwaysApproved: false,
    ...overrides,
  };
}

const render = (stats: PolicyStats, unreadable = 0) => renderSummary({ stats, unreadable }, WINDOW);
const texts = (blocks: readonly unknown[]) =>
  blocks.map((block) => (block as { text?: { text?: string } }).text?.text ?? '');

describe('weekly summary message', () => {
  it('header, the window, a line per rule, then the two flags', () => {
    const message = render({
      rules: [
        rule('namespace-delete', {
          held: 6,
          approved: 6,
          denied: 0,
          approvedQuickly: 1,
          alwaysApproved: true,
        }),
        rule('prod-delete'),
      ],
      approvers: [
        { approver: 'bob', approvals: 6, medianMs: 2_500, quickShare: 5 / 6, rubberStamp: true },
        { approver: 'carol', approvals: 2, medianMs: 90_000, quickShare: 0, rubberStamp: false },
      ],
    });
    expect(message.text).toBe('Gatehouse weekly summary: 9 requests held under 2 rules');
    expect(message.blocks.map((block) => block.type)).toEqual([
      'header',
      'context',
      'section',
      'section',
      'section',
    ]);
    const [, , rules, relax, quick] = texts(message.blocks);
    expect(blocksText(message.blocks.slice(1, 2))).toContain('|2026-11-23T08:00:00.000Z> to <!date^');
    expect(rules).toBe(
      [
        '*9 requests held under 2 rules*',
        '• `namespace-delete` held 6: 6 approved, 0 denied, 0 expired · median to decide 42.0s · 100% of approvals within 10 s',
        '• `prod-delete` held 3: 2 approved, 1 denied, 0 expired · median to decide 42.0s · 50% of approvals within 10 s',
      ].join('\n'),
    );
    expect(relax).toContain('*Approved every time* — candidates to relax');
    expect(relax).toContain('• `namespace-delete` (6 of 6)');
    expect(relax).not.toContain('prod-delete');
    expect(quick).toContain('*Approving within seconds*');
    expect(quick).toContain('• bob: 5 of 6 approvals within 10 s, median 2.5s');
    expect(quick).not.toContain('carol');
  });

  it('no flags, no flag sections; a name is escaped, so it cannot ping the channel', () => {
    const message = render({
      rules: [rule('prod-delete')],
      approvers: [
        { approver: '<!channel>', approvals: 3, medianMs: 1_000, quickShare: 1, rubberStamp: true },
      ],
    });
    expect(message.blocks.map((block) => block.type)).toEqual(['header', 'context', 'section', 'section']);
    expect(texts(message.blocks)[3]).toContain('• &lt;!channel&gt;: 3 of 3 approvals');
  });

  it('nothing held: one short line', () => {
    const message = render({ rules: [], approvers: [] });
    expect(message.text).toBe('No requests were held for approval in the last 7 days.');
    expect(texts(message.blocks).at(-1)).toBe('No requests were held for approval in the last 7 days.');
  });

  it('says when audit entries could not be read', () => {
    expect(blocksText(render({ rules: [], approvers: [] }, 2).blocks)).toContain(
      ':warning: 2 audit log entries could not be read and are not counted; run `gatehouse-audit verify`.',
    );
  });

  it(`lists the ${SUMMARY_RULES_SHOWN} busiest rules and counts the rest`, () => {
    const rules = Array.from({ length: 25 }, (_, i) => rule(`rule-${String(i).padStart(2, '0')}`));
    const [, , section] = texts(render({ rules, approvers: [] }).blocks);
    const lines = section!.split('\n');
    expect(lines).toHaveLength(1 + SUMMARY_RULES_SHOWN + 1);
    expect(lines.at(-2)).toContain('`rule-19`');
    expect(lines.at(-1)).toBe('_and 5 more rules_');
  });

  it("stays within Block Kit's limits however many and however long the rules: the rest are counted", () => {
    const long = (i: number) => `${'x'.repeat(200)}-${i}`;
    const rules = Array.from({ length: 500 }, (_, i) =>
      rule(long(i), { held: 5, approved: 5, alwaysApproved: true }),
    );
    const approvers = Array.from({ length: 300 }, (_, i) => ({
      approver: `approver-${'y'.repeat(150)}-${i}`,
      approvals: 9,
      medianMs: 1_000,
      quickShare: 1,
      rubberStamp: true,
    }));
    const message = render({ rules, approvers }, 1);
    expect(blockLimitProblems(message.blocks)).toEqual([]);
    const [, , , listed, relax, quick] = texts(message.blocks);
    const shown = (text: string) => text.split('\n').length - 2;
    const more = (text: string) => Number(/_and (\d+) more/.exec(text.split('\n').at(-1)!)?.[1]);
    expect(shown(listed!) + more(listed!)).toBe(500);
    expect(shown(relax!) + more(relax!)).toBe(500);
    expect(shown(quick!) + more(quick!)).toBe(300);
    expect(relax!.split('\n').at(-1)).toMatch(/^_and \d+ more rules_$/);
    expect(quick!.split('\n').at(-1)).toMatch(/^_and \d+ more approvers_$/);
  });
});

describe('boundedList', () => {
  const more = (n: number) => `and ${n} more`;
  it('keeps every line that fits with room for the count of the rest', () => {
    const lines = ['a'.repeat(10), 'b'.repeat(10), 'c'.repeat(10)];
    expect(boundedList('H', lines, more)).toBe(['H', ...lines].join('\n'));
    // H + a + b would leave no room for "and 1 more" within 30 characters.
    expect(boundedList('H', lines, more, lines.length, 30)).toBe(['H', lines[0], 'and 2 more'].join('\n'));
    expect(boundedList('H', lines, more, 1)).toBe(['H', lines[0], 'and 2 more'].join('\n'));
    for (let max = 12; max < 40; max++) {
      expect(boundedList('H', lines, more, lines.length, max).length).toBeLessThanOrEqual(max);
    }
  });
});
