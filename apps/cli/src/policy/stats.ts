import { formatShare, formatWait, type PolicyStats } from '@gatehouse/audit';

export function formatStats(stats: PolicyStats): string {
  const lines = [
    'per rule: held, approved, denied, expired; median time to decide; approved within 10 s; approvers',
  ];
  for (const r of stats.rules) {
    const flag = r.alwaysApproved ? '  <- approved every time: a candidate to relax (try mode: audit)' : '';
    lines.push(
      `  ${r.rule}: held ${r.held}, approved ${r.approved}, denied ${r.denied}, expired ${r.expired}; median ${formatWait(r.medianDecideMs)}; within 10 s ${formatShare(r.approvedQuickly)}; approvers ${r.approvers}${flag}`,
    );
  }
  lines.push('per approver: approvals, median time to approve, share within 10 s');
  for (const a of stats.approvers) {
    const flag = a.rubberStamp ? '  <- approves in seconds: rubber-stamping?' : '';
    lines.push(
      `  ${a.approver}: ${a.approvals}, median ${formatWait(a.medianMs)}, within 10 s ${formatShare(a.quickShare)}${flag}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
