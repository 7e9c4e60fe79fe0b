import type { ApprovalState } from './model.js';

/** Stable codes callers branch on; never match on message text. */
export enum ApprovalsErrorCode {
  InvalidOptions = 'APPROVALS_INVALID_OPTIONS',
  InvalidInput = 'APPROVALS_INVALID_INPUT',
  NotFound = 'APPROVALS_NOT_FOUND',
  InvalidTransition = 'APPROVALS_INVALID_TRANSITION',
  Contended = 'APPROVALS_CONTENDED',
  Closed = 'APPROVALS_CLOSED',
}

export abstract class ApprovalsError extends Error {
  abstract readonly code: ApprovalsErrorCode;
}

/** Bad `createApprovals` options: thrown at start-up, before any traffic. */
export class InvalidOptionsError extends ApprovalsError {
  override readonly name = 'InvalidOptionsError';
  readonly code = ApprovalsErrorCode.InvalidOptions;
}

/** A caller passed something the model cannot hold (empty agent, approvalsNeeded < 1...). */
export class InvalidInputError extends ApprovalsError {
  override readonly name = 'InvalidInputError';
  readonly code = ApprovalsErrorCode.InvalidInput;
}

export class NotFoundError extends ApprovalsError {
  override readonly name = 'NotFoundError';
  readonly code = ApprovalsErrorCode.NotFound;
  constructor(readonly id: string) {
    super(
      `approval ${id} does not exist (never created, or past its retention); re-run the command to ask again`,
    );
  }
}

/** The approval is not in the state the change needs (e.g. completing one that was never dispatched). */
export class InvalidTransitionError extends ApprovalsError {
  override readonly name = 'InvalidTransitionError';
  readonly code = ApprovalsErrorCode.InvalidTransition;
  constructor(
    readonly id: string,
    readonly state: ApprovalState,
    readonly wanted: string,
  ) {
    super(`approval ${id} is ${state}; cannot ${wanted}`);
  }
}

/** An optimistic retry loop (open, claimGrant) kept losing races; the caller may retry. */
export class ContendedError extends ApprovalsError {
  override readonly name = 'ContendedError';
  readonly code = ApprovalsErrorCode.Contended;
}

export class ClosedError extends ApprovalsError {
  override readonly name = 'ClosedError';
  readonly code = ApprovalsErrorCode.Closed;
  constructor() {
    super('approvals store is closed; create a new one with createApprovals()');
  }
}

/**
 * Negative results the Lua scripts return (each script's header lists which it uses).
 * Positive results are script-specific outcomes (see scripts/vote.ts).
 */
export enum ScriptFailure {
  NotFound = -1,
  WrongState = -2,
  /** A pointer moved between the read and the script: read again and retry. */
  Retry = -3,
  /** expire: the approval is pending but its expiry has not come yet. */
  NotDue = -4,
  /** open: the freshly generated id is taken; generate another. */
  IdTaken = -5,
}

/** The one place a script failure becomes an error. `Retry` and `IdTaken` are handled by their callers' loops. */
export function scriptFailureToError(
  failure: ScriptFailure,
  id: string,
  state: ApprovalState | undefined,
  wanted: string,
): ApprovalsError {
  switch (failure) {
    case ScriptFailure.NotFound:
      return new NotFoundError(id);
    case ScriptFailure.WrongState:
    case ScriptFailure.NotDue:
      return new InvalidTransitionError(id, state ?? 'pending', wanted);
    case ScriptFailure.Retry:
    case ScriptFailure.IdTaken:
      return new ContendedError(`approval ${id}: ${wanted} kept racing with other writers; retry`);
  }
}

/** Whatever was thrown, as an Error for `onError`. */
export function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
