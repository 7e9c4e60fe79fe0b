export type { ApprovalRequest, ApprovalState, DispatchRecord, HeldRequest, Vote } from './model.js';
