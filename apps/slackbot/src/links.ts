import type { ApprovalRequest } from '@gatehouse/approvals';

/**
 * Links to approval messages, built the way Slack's permalinks look (`<workspace>/archives/<channel>/p<ts>`)
 * so a page of 5,000 pending requests costs no chat.getPermalink call per row.
 * `workspaceUrl` comes from auth.test (e.g. https://acme.slack.com/).
 */
export function messageLink(
  workspaceUrl: string,
  approval: Pick<ApprovalRequest, 'slack'>,
): string | undefined {
  if (!approval.slack) return undefined;
  const base = workspaceUrl.endsWith('/') ? workspaceUrl : `${workspaceUrl}/`;
  return `${base}archives/${approval.slack.channel}/p${approval.slack.ts.replace('.', '')}`;
}
