import { parseDuration } from '@gatehouse/config';
import { BadArgumentError } from '../errors.js';

/** `--since`: an ISO 8601 time (`2026-11-26T01:00:00Z`) or a duration back from now (`90m`, `7d`). */
export function parseSince(text: string, now: number): number {
  const duration = parseDuration(text);
  if (duration !== undefined) return now - duration;
  const time = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(time)) {
    throw new BadArgumentError(
      `--since ${JSON.stringify(text)} is neither an ISO time (2026-11-26T01:00:00Z) nor a duration (90m, 7d)`,
    );
  }
  return time;
}
