export type { BurstView, Placement, PostForReviewResult } from './burst/index.js';
export {
  ApprovalsError,
  ApprovalsErrorCode,
  ClosedError,
  ContendedError,
  InvalidInputError,
  InvalidOptionsError,
  InvalidTransitionError,
  NotFoundError,
} from './errors.js';
export { runFactsOf } from './facts.js';
export { type FingerprintInput, fingerprintOf, isConnectVerb } from './fingerprint/index.js';
export { type QueueNames, queueNamesFor } from './keys.js';
export type {
  ApprovalPreview,
  ApprovalRequest,
  ApprovalState,
  ChangePreview,
  DispatchRecord,
  DryRunResult,
  FieldChange,
  HeldRequest,
  NamespaceContents,
  PinnedTarget,
  StaleRecord,
  Vote,
} from './model.js';
export { describeChange, describePreview } from './preview/index.js';
export {
  BURST_JOB,
  type BurstJobData,
  type ConsumerOptions,
  type Consumers,
  type JobHandlers,
  NOTIFIED_STATES,
  NOTIFY_JOB,
  type NotifyJobData,
  notifyJobId,
  POST_JOB,
  type PostJobData,
  REFRESH_JOB,
  type RefreshJobData,
  startConsumers,
} from './queues/index.js';
export { type Approvals, createApprovals } from './store/index.js';
export type {
  ApprovalChange,
  ApprovalsOptions,
  ChangeKind,
  CompleteInput,
  OpenInput,
  OpenResult,
  Page,
  PageInput,
  VoteInput,
  VoteResult,
  WaitOptions,
} from './store/types.js';
