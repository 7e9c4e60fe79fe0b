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
export { type FingerprintInput, fingerprintOf } from './fingerprint/index.js';
export { type QueueNames, queueNamesFor } from './keys.js';
export type { ApprovalRequest, ApprovalState, DispatchRecord, HeldRequest, Vote } from './model.js';
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
