import { auditKeys, describeEvent, readApproval, type StoredEvent } from '@gatehouse/audit';
import type { Redis } from 'ioredis';
import type { AuditTrailPort } from './ports.js';

/** `show <id>` reads an approval's events through the audit log's own per-approval index. */
export function auditTrailIn(redis: Redis, keyPrefix: string): AuditTrailPort {
  const keys = auditKeys(keyPrefix);
  return {
    async trail(approvalId) {
      const entries = await readApproval(redis, keys, approvalId);
      return entries.map((entry) => {
        const event = JSON.parse(entry.line) as StoredEvent;
        return { time: event.time, type: event.type, detail: describeEvent(event) };
      });
    },
  };
}
