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
  RunAs,
  StaleRecord,
  Vote,
} from './model.js';
export { describeChange, describePreview } from './preview/index.js';
export { POST_JOB, REFRESH_JOB } from './queues/index.js';
export { type Approvals, createApprovals } from './store/index.js';
export type {
  ApprovalChange,
  ApprovalsOptions,
  ChangeKind,
  Clock,
  CompleteInput,
  OpenInput,
  OpenResult,
  Page,
  PageInput,
  PostJobData,
  RefreshJobData,
  VoteInput,
  VoteResult,
  WaitOptions,
} from './store/types.js';
