import type { ApprovalRequest } from '@gatehouse/approvals';
import type { HeaderMap } from '../headers/index.js';

/** The user extras a dispatched request carries, so the cluster's own audit event names the approval. */
export const APPROVAL_ID_EXTRA = 'gatehouse.dev/approval-id';
export const APPROVED_BY_EXTRA = 'gatehouse.dev/approved-by';
/** What the gateway's RBAC must allow it to impersonate besides users and groups (`userextras/<key>`). */
export const DISPATCH_EXTRAS: readonly string[] = [APPROVAL_ID_EXTRA, APPROVED_BY_EXTRA];

/**
 * An `Impersonate-Extra-<key>` header name. A header name cannot hold `/`, so the key is
 * percent-encoded; the API server lower-cases the name and decodes it with `url.PathUnescape`
 * (staging/src/k8s.io/apiserver/pkg/endpoints/filters/impersonation.go, `unescapeExtraKey`), so
 * `Impersonate-Extra-Gatehouse.dev%2fapproval-id` arrives as the extra `gatehouse.dev/approval-id`.
 * Every byte outside an HTTP token's letters, digits and `!#$&'*+-.^_`|~` is encoded, as client-go
 * does (transport/round_trippers.go, `escapeExtraKey`) — `%` itself included.
 */
export function extraHeaderName(key: string): string {
  let escaped = '';
  for (const byte of Buffer.from(key, 'utf8')) {
    const char = String.fromCharCode(byte);
    escaped += /^[A-Za-z0-9!#$&'*+\-.^_`|~]$/.test(char)
      ? char
      : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return `impersonate-extra-${escaped}`;
}

/**
 * The extras of one dispatch: the approval id and the Slack ids of who approved (one header line per
 * value: the API server reads every line of an extra as one value). Added at dispatch, after the
 * approval, so never part of the request's fingerprint.
 */
export function dispatchExtraHeaders(approval: ApprovalRequest): HeaderMap {
  const approvers = approval.votes.filter((vote) => vote.decision === 'approve').map((vote) => vote.userId);
  const headers: HeaderMap = { [extraHeaderName(APPROVAL_ID_EXTRA)]: approval.id };
  if (approvers.length > 0) headers[extraHeaderName(APPROVED_BY_EXTRA)] = approvers;
  return headers;
}
