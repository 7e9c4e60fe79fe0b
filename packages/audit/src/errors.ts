/** Stable codes callers branch on; never match on message text. */
export enum AuditErrorCode {
  InvalidOptions = 'AUDIT_INVALID_OPTIONS',
  InvalidEvent = 'AUDIT_INVALID_EVENT',
  Contended = 'AUDIT_CONTENDED',
  StoreFailed = 'AUDIT_STORE_FAILED',
  Closed = 'AUDIT_CLOSED',
  RecordingFailed = 'AUDIT_RECORDING_FAILED',
  NotFound = 'AUDIT_NOT_FOUND',
  BadArgument = 'AUDIT_BAD_ARGUMENT',
}

export abstract class AuditError extends Error {
  abstract readonly code: AuditErrorCode;
}

/** Bad `createAuditLog` options: thrown at start-up, before any traffic. */
export class InvalidOptionsError extends AuditError {
  override readonly name = 'InvalidOptionsError';
  readonly code = AuditErrorCode.InvalidOptions;
}

/** `record()` got something that is not one of the event types in events.ts. */
export class InvalidEventError extends AuditError {
  override readonly name = 'InvalidEventError';
  readonly code = AuditErrorCode.InvalidEvent;
}

/** The batch found no place in the chain in time (other writers, or a stuck turn); the events were not written. */
export class ContendedError extends AuditError {
  override readonly name = 'ContendedError';
  readonly code = AuditErrorCode.Contended;
  constructor(readonly waitedMs: number) {
    super(`audit events found no place in the chain within ${waitedMs} ms; not written, record them again`);
  }
}

/** Redis refused or lost the append; the events may or may not be in the log (verify shows which). */
export class StoreFailedError extends AuditError {
  override readonly name = 'StoreFailedError';
  readonly code = AuditErrorCode.StoreFailed;
  constructor(
    message: string,
    override readonly cause: unknown,
  ) {
    super(message);
  }
}

export class ClosedError extends AuditError {
  override readonly name = 'ClosedError';
  readonly code = AuditErrorCode.Closed;
  constructor() {
    super('audit log is closed; create a new one with createAuditLog()');
  }
}

/** A session recording could not be opened or written. */
export class RecordingFailedError extends AuditError {
  override readonly name = 'RecordingFailedError';
  readonly code = AuditErrorCode.RecordingFailed;
  constructor(
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
  }
}

/** The log holds no events for the approval id asked about. */
export class NotFoundError extends AuditError {
  override readonly name = 'NotFoundError';
  readonly code = AuditErrorCode.NotFound;
  constructor(readonly approvalId: string) {
    super(`no audit events for approval ${approvalId}; check the id and the --prefix`);
  }
}

/** A CLI argument that cannot be used (unknown command, unparseable --since). */
export class BadArgumentError extends AuditError {
  override readonly name = 'BadArgumentError';
  readonly code = AuditErrorCode.BadArgument;
}
