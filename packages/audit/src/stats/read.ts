import type { Redis } from 'ioredis';
import type { StoredEvent } from '../events.js';
import type { AuditKeys } from '../keys.js';
import { readLogSince } from '../store/log-reader.js';
import { type PolicyStats, policyStatsBuilder } from './index.js';

export interface PolicyStatsRead {
  readonly stats: PolicyStats;
  /** Stream entries that were not JSON (left out; `gatehouse-audit verify` finds the damage). */
  readonly unreadable: number;
}

/**
 * `policyStats` over the audit stream in Redis: the approvals requested at or after `sinceMs`
 * and what became of them, read a page at a time.
 */
export async function readPolicyStats(
  redis: Redis,
  keys: AuditKeys,
  sinceMs: number,
): Promise<PolicyStatsRead> {
  const builder = policyStatsBuilder(sinceMs);
  let unreadable = 0;
  for await (const entry of readLogSince(redis, keys, sinceMs)) {
    let event: StoredEvent;
    try {
      event = JSON.parse(entry.line) as StoredEvent;
    } catch {
      unreadable++;
      continue;
    }
    builder.add(event);
  }
  return { stats: builder.result(), unreadable };
}
