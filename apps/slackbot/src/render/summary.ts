import {
  type ApproverStats,
  formatShare,
  formatWait,
  type PolicyStatsRead,
  QUICK_APPROVAL_MS,
  type RuleStats,
} from '@gatehouse/audit';
import type { KnownBlock } from '@slack/web-api';
import type { RenderedMessage } from './approval.js';
import { code, date, escapeText, plural } from './mrkdwn.js';

/** A section's text may hold 3,000 characters (Block Kit); each list stops short of it and says how many it left out. */
export const SUMMARY_TEXT_MAX = 3_000;
/** Rules listed one per line; a platform team reads the busiest, the rest are counted. */
export const SUMMARY_RULES_SHOWN = 20;

const QUICK = `${QUICK_APPROVAL_MS / 1000} s`;

export interface SummaryWindow {
  readonly fromMs: number;
  readonly toMs: number;
}

function ruleLine(rule: RuleStats): string {
  return `• ${code(rule.rule, 100)} held ${rule.held}: ${rule.approved} approved, ${rule.denied} denied, ${rule.expired} expired · median to decide ${formatWait(rule.medianDecideMs)} · ${formatShare(rule.approvedQuickly)} of approvals within ${QUICK}`;
}

function approverLine(approver: ApproverStats): string {
  const quick = Math.round(approver.quickShare * approver.approvals);
  return `• ${escapeText(approver.approver)}: ${quick} of ${plural(approver.approvals, 'approval')} within ${QUICK}, median ${formatWait(approver.medianMs)}`;
}

/**
 * `lines` joined below `heading` within `max` characters and at most `shown` lines; what does not
 * fit is counted on a last line ("and 7 more rules"), so nothing is left out silently.
 */
export function boundedList(
  heading: string,
  lines: readonly string[],
  more: (count: number) => string,
  shown = lines.length,
  max = SUMMARY_TEXT_MAX,
): string {
  const kept = [heading];
  let length = heading.length;
  for (const [index, line] of lines.entries()) {
    const left = lines.length - index - 1;
    const tail = left > 0 ? 1 + more(left).length : 0;
    if (index >= shown || length + 1 + line.length + tail > max) {
      kept.push(more(lines.length - index));
      break;
    }
    kept.push(line);
    length += 1 + line.length;
  }
  return kept.join('\n');
}

const section = (text: string): KnownBlock => ({ type: 'section', text: { type: 'mrkdwn', text } });
const context = (text: string): KnownBlock => ({ type: 'context', elements: [{ type: 'mrkdwn', text }] });

/**
 * The weekly summary for the approver channel: per rule what it held and what people did, then the
 * two flags worth acting on — rules approved every time (candidates to relax) and approvers who
 * approve within seconds (rubber-stamping?). At most six blocks, each text within Block Kit's 3,000.
 */
export function renderSummary(
  { stats, unreadable }: PolicyStatsRead,
  window: SummaryWindow,
): RenderedMessage {
  const held = stats.rules.reduce((sum, rule) => sum + rule.held, 0);
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: 'Gatehouse: the week in held requests' } },
    context(`${date(window.fromMs)} to ${date(window.toMs)}`),
  ];
  if (unreadable > 0) {
    blocks.push(
      context(
        `:warning: ${plural(unreadable, 'audit log entry', 'audit log entries')} could not be read and are not counted; run \`gatehouse-audit verify\`.`,
      ),
    );
  }
  if (held === 0) {
    const text = 'No requests were held for approval in the last 7 days.';
    blocks.push(section(text));
    return { text, blocks };
  }
  const rules = plural(stats.rules.length, 'rule');
  blocks.push(
    section(
      boundedList(
        `*${plural(held, 'request')} held under ${rules}*`,
        stats.rules.map(ruleLine),
        (count) => `_and ${plural(count, 'more rule')}_`,
        SUMMARY_RULES_SHOWN,
      ),
    ),
  );
  const relax = stats.rules.filter((rule) => rule.alwaysApproved);
  if (relax.length > 0) {
    blocks.push(
      section(
        boundedList(
          ':white_check_mark: *Approved every time* — candidates to relax (try `mode: audit` first):',
          relax.map((rule) => `• ${code(rule.rule, 100)} (${rule.approved} of ${rule.held})`),
          (count) => `_and ${plural(count, 'more rule')}_`,
        ),
      ),
    );
  }
  const quick = stats.approvers.filter((approver) => approver.rubberStamp);
  if (quick.length > 0) {
    blocks.push(
      section(
        boundedList(
          `:zap: *Approving within seconds* — most approvals within ${QUICK}, too fast to have read the request:`,
          quick.map(approverLine),
          (count) => `_and ${plural(count, 'more approver')}_`,
        ),
      ),
    );
  }
  return { text: `Gatehouse weekly summary: ${plural(held, 'request')} held under ${rules}`, blocks };
}
