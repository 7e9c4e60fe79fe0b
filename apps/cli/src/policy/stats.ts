import type { PolicyStats } from '@gatehouse/audit';

const seconds = (ms: number | undefined) => (ms === undefined ? '-' : `${(ms / 1000).toFixed(1)}s`);
const percent = (x: number) => `${Math.round(x * 100)}%`;

export function formatStats(stats: PolicyStats): string {
  const lines = [
    'per rule: held, approved, denied, expired; median time to decide; approved within 10 s; approvers',
  ];
  for (const r of stats.rules) {
    const flag = r.alwaysApproved ? '  <- approved every time: a candidate to relax (try mode: audit)' : '';
    lines.push(
      `  ${r.rule}: held ${r.held}, approved ${r.approved}, denied ${r.denied}, expired ${r.expired}; median ${seconds(r.medianDecideMs)}; within 10 s ${percent(r.approvedQuickly)}; approvers ${r.approvers}${flag}`,
    );
  }
  lines.push('per approver: approvals, median time to approve, share within 10 s');
  for (const a of stats.approvers) {
    const flag = a.rubberStamp ? '  <- approves in seconds: rubber-stamping?' : '';
    lines.push(
      `  ${a.approver}: ${a.approvals}, median ${seconds(a.medianMs)}, within 10 s ${percent(a.quickShare)}${flag}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
