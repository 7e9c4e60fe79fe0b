import type { StoredEvent } from '../events.js';

/** Approvals decided this fast are "within seconds": too fast to have read the request. */
export const QUICK_APPROVAL_MS = 10_000;
/** A rule held at least this often and approved every time is a candidate to relax. */
export const ALWAYS_APPROVED_MIN_HELD = 5;
/** An approver with at least this many approvals, most within seconds, is flagged. */
export const QUICK_APPROVER_MIN_APPROVALS = 3;

export interface RuleStats {
  readonly rule: string;
  readonly held: number;
  readonly approved: number;
  readonly denied: number;
  readonly expired: number;
  /** Median time from the hold to the decision (approved or denied), in ms; undefined with none decided. */
  readonly medianDecideMs: number | undefined;
  /** Share of approvals decided within {@link QUICK_APPROVAL_MS}. */
  readonly approvedQuickly: number;
  readonly approvers: number;
  readonly alwaysApproved: boolean;
}

export interface ApproverStats {
  readonly approver: string;
  readonly approvals: number;
  readonly medianMs: number;
  readonly quickShare: number;
  readonly rubberStamp: boolean;
}

export interface PolicyStats {
  readonly rules: readonly RuleStats[];
  readonly approvers: readonly ApproverStats[];
}

/** Takes events in chain order one at a time, so a week of the stream need not be held at once. */
export interface PolicyStatsBuilder {
  add(event: StoredEvent): void;
  result(): PolicyStats;
}

interface Held {
  rule: string;
  requestedAt: number;
  outcome?: 'approved' | 'denied' | 'expired';
  decidedAt?: number;
  approvers: string[];
}

/**
 * Per rule: how often it held a request and what the humans did; per approver: how fast they approve.
 * Approvals requested at or after `sinceMs` count.
 */
export function policyStats(events: Iterable<StoredEvent>, sinceMs = 0): PolicyStats {
  const builder = policyStatsBuilder(sinceMs);
  for (const event of events) builder.add(event);
  return builder.result();
}

/** {@link policyStats} fed event by event; only the approvals held since `sinceMs` are kept. */
export function policyStatsBuilder(sinceMs = 0): PolicyStatsBuilder {
  const held = new Map<string, Held>();
  return {
    add(event) {
      if (event.type === 'approval.requested') {
        const requestedAt = Date.parse(event.time);
        if (requestedAt >= sinceMs)
          held.set(event.approvalId, { rule: event.rule, requestedAt, approvers: [] });
        return;
      }
      if (!('approvalId' in event) || typeof event.approvalId !== 'string') return;
      const entry = held.get(event.approvalId);
      if (entry === undefined || entry.outcome !== undefined) return;
      if (event.type === 'approval.approved') {
        entry.outcome = 'approved';
        entry.decidedAt = Date.parse(event.decidedAt ?? event.time);
        entry.approvers = event.approvers.map((a) => a.name ?? a.id);
      } else if (event.type === 'approval.denied') {
        entry.outcome = 'denied';
        entry.decidedAt = Date.parse(event.decidedAt ?? event.time);
      } else if (event.type === 'approval.expired') {
        entry.outcome = 'expired';
      }
    },
    result: () => summarise([...held.values()]),
  };
}

function summarise(held: readonly Held[]): PolicyStats {
  const byRule = new Map<string, Held[]>();
  for (const h of held) byRule.set(h.rule, [...(byRule.get(h.rule) ?? []), h]);
  const rules = [...byRule].map(([rule, all]): RuleStats => {
    const approved = all.filter((h) => h.outcome === 'approved');
    const decided = all.filter((h) => h.decidedAt !== undefined);
    return {
      rule,
      held: all.length,
      approved: approved.length,
      denied: all.filter((h) => h.outcome === 'denied').length,
      expired: all.filter((h) => h.outcome === 'expired').length,
      medianDecideMs: median(decided.map(waitOf)),
      approvedQuickly: share(approved, (h) => waitOf(h) <= QUICK_APPROVAL_MS),
      approvers: new Set(approved.flatMap((h) => h.approvers)).size,
      alwaysApproved: all.length >= ALWAYS_APPROVED_MIN_HELD && approved.length === all.length,
    };
  });
  const waits = new Map<string, number[]>();
  for (const h of held) {
    if (h.outcome !== 'approved') continue;
    for (const a of h.approvers) waits.set(a, [...(waits.get(a) ?? []), waitOf(h)]);
  }
  const approvers = [...waits].map(([approver, ms]): ApproverStats => {
    const quickShare = share(ms, (m) => m <= QUICK_APPROVAL_MS);
    return {
      approver,
      approvals: ms.length,
      medianMs: median(ms) ?? 0,
      quickShare,
      rubberStamp: ms.length >= QUICK_APPROVER_MIN_APPROVALS && quickShare > 0.5,
    };
  });
  return {
    rules: rules.sort((a, b) => b.held - a.held || a.rule.localeCompare(b.rule)),
    approvers: approvers.sort((a, b) => b.approvals - a.approvals || a.approver.localeCompare(b.approver)),
  };
}

/** A time to decide as people read it: `42.0s`, `-` when nothing was decided. */
export const formatWait = (ms: number | undefined): string =>
  ms === undefined ? '-' : `${(ms / 1000).toFixed(1)}s`;

/** A share as a whole percentage: `80%`. */
export const formatShare = (share: number): string => `${Math.round(share * 100)}%`;

const waitOf = (h: Held) => (h.decidedAt ?? h.requestedAt) - h.requestedAt;

function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function share<T>(items: readonly T[], test: (item: T) => boolean): number {
  return items.length === 0 ? 0 : items.filter(test).length / items.length;
}
