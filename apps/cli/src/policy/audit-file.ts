import { readFile } from 'node:fs/promises';
import type { StoredEvent } from '@gatehouse/audit';
import { BadAuditFileError } from '../errors.js';

/** The events of a `gatehouse-audit export` file (JSON Lines, gatehouse format), in file order. */
export async function readAuditExport(path: string): Promise<StoredEvent[]> {
  const lines = (await readFile(path, 'utf8')).split('\n');
  const events: StoredEvent[] = [];
  lines.forEach((line, index) => {
    if (line.trim() === '') return;
    let event: unknown;
    try {
      event = JSON.parse(line);
    } catch (error) {
      throw new BadAuditFileError(
        `${path}:${index + 1}: not JSON (${(error as Error).message}); expected the output of gatehouse-audit export`,
      );
    }
    if (
      typeof event !== 'object' ||
      event === null ||
      typeof (event as { type?: unknown }).type !== 'string'
    ) {
      throw new BadAuditFileError(
        `${path}:${index + 1}: not an audit event (no type); expected gatehouse-audit export --format gatehouse`,
      );
    }
    events.push(event as StoredEvent);
  });
  return events;
}
