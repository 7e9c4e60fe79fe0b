import { type Clock, systemClock } from '@gatehouse/lifecycle';
import { InvalidOptionsError } from '../errors.js';
import type { ApprovalsOptions } from './types.js';

export interface ResolvedOptions {
  readonly prefix: string;
  readonly clock: Clock;
  readonly requestTtlMs: number;
  readonly grantTtlMs: number;
  readonly connectRetryWindowMs: number;
  readonly retainMs: number;
  readonly sweepIntervalMs: number;
  readonly pollIntervalMs: number;
  readonly presenceLeaseMs: number;
  readonly onError: (error: Error) => void;
  readonly audit: ApprovalsOptions['audit'];
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Defaults and checks at start-up, so bad config fails before traffic. */
export function resolveOptions(options: ApprovalsOptions): ResolvedOptions {
  if (!/^[A-Za-z0-9_.-]+$/.test(options.prefix)) {
    throw new InvalidOptionsError(
      `approvals prefix ${JSON.stringify(options.prefix)} must be non-empty letters, digits, '_', '.' or '-'`,
    );
  }
  const resolved: ResolvedOptions = {
    prefix: options.prefix,
    clock: options.clock ?? systemClock,
    requestTtlMs: options.requestTtlMs,
    grantTtlMs: options.grantTtlMs,
    connectRetryWindowMs: options.connectRetryWindowMs ?? 60_000,
    retainMs: options.retainMs ?? 7 * DAY_MS,
    sweepIntervalMs: options.sweepIntervalMs ?? 1000,
    pollIntervalMs: options.pollIntervalMs ?? 5000,
    presenceLeaseMs: options.presenceLeaseMs ?? 30_000,
    onError: options.onError ?? ((error) => process.emitWarning(error)),
    audit: options.audit,
  };
  positive('requestTtlMs', resolved.requestTtlMs);
  positive('grantTtlMs', resolved.grantTtlMs);
  positive('retainMs', resolved.retainMs);
  positive('pollIntervalMs', resolved.pollIntervalMs);
  positive('presenceLeaseMs', resolved.presenceLeaseMs);
  if (resolved.sweepIntervalMs !== 0) positive('sweepIntervalMs', resolved.sweepIntervalMs);
  if (resolved.connectRetryWindowMs !== 0) positive('connectRetryWindowMs', resolved.connectRetryWindowMs);
  return resolved;
}

function positive(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new InvalidOptionsError(
      `approvals option ${name} must be a positive integer of milliseconds, got ${value}`,
    );
  }
}
