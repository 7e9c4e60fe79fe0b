/** Codes for what the gatehouse CLI reports; callers branch on `code`. */
export enum CliErrorCode {
  Usage = 'CLI_USAGE',
  BadAuditFile = 'CLI_BAD_AUDIT_FILE',
}

/** Wrong arguments: the message says what was expected, with an example. */
export class CliUsageError extends Error {
  override readonly name = 'CliUsageError';
  readonly code = CliErrorCode.Usage;
}

/** An audit export that is not JSON Lines of audit events: the message names the file and line. */
export class BadAuditFileError extends Error {
  override readonly name = 'BadAuditFileError';
  readonly code = CliErrorCode.BadAuditFile;
}
