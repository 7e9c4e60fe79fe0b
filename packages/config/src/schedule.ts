import { CronExpressionParser } from 'cron-parser';

/**
 * Why a cron pattern cannot schedule a BullMQ job, or undefined when it can. BullMQ's job schedulers
 * read `pattern` with cron-parser (bullmq `classes/job-scheduler.ts`, defaultRepeatStrategy), so the
 * same parser judges it here, at start-up, rather than when the scheduler is first upserted.
 */
export function cronProblem(pattern: string): string | undefined {
  const fields = pattern.trim().split(/\s+/);
  // cron-parser also takes a leading seconds field: "* * * * * *" would post every second.
  if (!pattern.trim().startsWith('@') && fields.length !== 5) {
    return `${JSON.stringify(pattern)} has ${fields.length} fields; use five: minute hour day-of-month month day-of-week, e.g. "0 9 * * 1" (Mondays at 09:00)`;
  }
  try {
    CronExpressionParser.parse(pattern, { tz: 'UTC' }).next();
    return undefined;
  } catch (error) {
    return `${JSON.stringify(pattern)} is not a cron pattern (${(error as Error).message}); e.g. "0 9 * * 1" (Mondays at 09:00)`;
  }
}

/** Why `zone` is not an IANA time zone Node knows, or undefined when it is. */
export function timeZoneProblem(zone: string): string | undefined {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return undefined;
  } catch {
    return `${JSON.stringify(zone)} is not an IANA time zone; e.g. UTC, Europe/Berlin, America/New_York`;
  }
}
