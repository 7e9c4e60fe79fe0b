import { type Logger as BoltLogger, LogLevel } from '@slack/bolt';
import type { Logger as Pino } from 'pino';

/** Bolt and WebClient log through their own interface; route them into our structured pino log. */
export function boltLogger(pino: Pino): BoltLogger {
  let level = LogLevel.INFO;
  const line = (parts: unknown[]) =>
    parts.map((part) => (typeof part === 'string' ? part : String(part))).join(' ');
  return {
    debug: (...parts) => pino.debug({ component: 'bolt' }, line(parts)),
    info: (...parts) => pino.info({ component: 'bolt' }, line(parts)),
    warn: (...parts) => pino.warn({ component: 'bolt' }, line(parts)),
    error: (...parts) => pino.error({ component: 'bolt' }, line(parts)),
    setLevel: (next) => {
      level = next;
    },
    getLevel: () => level,
    setName: () => {},
  };
}
