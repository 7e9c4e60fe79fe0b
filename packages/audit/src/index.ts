export type { ChainHead } from './chain/link.js';
export { GENESIS_HASH, hashEvent } from './chain/link.js';
export type { BrokenLink, BrokenLinkProblem, IntactChain, VerifyResult } from './chain/verify.js';
export { verifyChain } from './chain/verify.js';
export { describe as describeEvent, formatStory } from './cli/describe.js';
export { runFactsOfEvents } from './cli/facts.js';
export {
  AuditError,
  AuditErrorCode,
  BadArgumentError,
  ClosedError,
  ContendedError,
  InvalidEventError,
  InvalidOptionsError,
  NotFoundError,
  RecordingFailedError,
  StoreFailedError,
} from './errors.js';
export type {
  ActionSummary,
  AgentIdentitySummary,
  ApprovalApprovedEvent,
  ApprovalCoalescedEvent,
  ApprovalCompletedEvent,
  ApprovalDeniedEvent,
  ApprovalExpiredEvent,
  ApprovalJoinedEvent,
  ApprovalPreviewEvent,
  ApprovalPromotedEvent,
  ApprovalRequestedEvent,
  ApprovalStaleEvent,
  AuditEvent,
  AuditEventInput,
  AuditEventType,
  ChainFields,
  DecisionSummary,
  DispatchEvent,
  DispatchReleasedEvent,
  GrantExpiredEvent,
  GrantIssuedEvent,
  GrantUsedEvent,
  RequesterBackEvent,
  RequesterDisconnectedEvent,
  RequestInput,
  RequestLimitedEvent,
  RequestReceivedEvent,
  RequestReceivedInput,
  ResponseSummary,
  SessionRecordedEvent,
  SlackUser,
  StoredBody,
  StoredEvent,
  StoredRequest,
  UpstreamResponseEvent,
  VoteEvent,
} from './events.js';
export { AUDIT_EVENT_TYPES } from './events.js';
export { type AuditKeys, auditKeys } from './keys.js';
export type { AuditedRecorder, AuditLog, AuditOutbox, AuditPort } from './log/index.js';
export { createAuditLog } from './log/index.js';
export type { AuditLogOptions } from './log/options.js';
export type { RecordingOptions } from './recording/asciicast.js';
export type { BodyMode } from './redact/index.js';
export { REDACTED } from './redact/index.js';
export { SIGNATURE_HEADER, signBatch, verifyBatchSignature } from './shipper/signature.js';
export type { AuditSink } from './sinks/types.js';
export {
  ALWAYS_APPROVED_MIN_HELD,
  type ApproverStats,
  formatShare,
  formatWait,
  type PolicyStats,
  type PolicyStatsBuilder,
  policyStats,
  policyStatsBuilder,
  QUICK_APPROVAL_MS,
  QUICK_APPROVER_MIN_APPROVALS,
  type RuleStats,
} from './stats/index.js';
export { type PolicyStatsRead, readPolicyStats } from './stats/read.js';
export { type LogEntry, readApproval } from './store/log-reader.js';
