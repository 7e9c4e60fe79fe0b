import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { RedisErrorCode, type RedisLostError } from './errors.js';
import { createRedisHealth, isConnectionError } from './health.js';

const refused = () =>
  Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' });

function recordingLog() {
  const lines: { level: string; fields: object; message: string }[] = [];
  const at = (level: string) => (fields: object, message: string) => lines.push({ level, fields, message });
  return { lines, log: { info: at('info'), warn: at('warn'), error: at('error') } };
}

/** Resolves once `check` holds, polling on the event loop (the health's own timers run meanwhile). */
async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('isConnectionError', () => {
  it('tells a lost connection from other failures', () => {
    expect(isConnectionError(refused())).toBe(true);
    expect(isConnectionError(new Error('Connection is closed.'))).toBe(true);
    expect(isConnectionError(new Error('ERR unknown command'))).toBe(false);
    expect(isConnectionError('ECONNREFUSED')).toBe(false);
  });
});

describe('createRedisHealth', () => {
  it('logs an outage once however many connections fail, is not ready meanwhile, and logs the recovery', async () => {
    let up = false;
    const { lines, log } = recordingLog();
    const health = createRedisHealth({
      redis: 'redis://:pw@127.0.0.1:6379',
      ping: async () => {
        if (!up) throw refused();
        return 'PONG';
      },
      log,
      readiness: '/healthz answers 503',
      checkEveryMs: 5,
      onGiveUp: () => expect.fail('gave up during a short outage'),
    });
    const clients = [new EventEmitter(), new EventEmitter(), new EventEmitter()];
    for (const [n, client] of clients.entries()) health.watch(client, `client ${n}`);
    for (let round = 0; round < 20; round++) for (const client of clients) client.emit('error', refused());

    expect(await health.ready()).toBe(false);
    expect(lines).toEqual([
      {
        level: 'warn',
        fields: { code: RedisErrorCode.Lost, redis: 'redis://:***@127.0.0.1:6379' },
        message:
          'lost Redis at redis://:***@127.0.0.1:6379 (connect ECONNREFUSED 127.0.0.1:6379); reconnecting every 2s at most, /healthz answers 503 until it is back, giving up after 60s',
      },
    ]);
    up = true;
    await until(() => lines.length === 2);
    expect(lines[1]).toMatchObject({ level: 'info', message: expect.stringContaining('answers again') });
    expect(await health.ready()).toBe(true);
    health.close();
  });

  it('logs errors that are not about the connection as they come, naming the source', () => {
    const { lines, log } = recordingLog();
    const health = createRedisHealth({
      redis: 'redis://127.0.0.1:6379',
      ping: async () => 'PONG',
      log,
      readiness: '/readyz answers 503',
      onGiveUp: () => undefined,
    });
    const worker = new EventEmitter();
    health.watch(worker, 'approvals worker');
    worker.emit('error', new Error('could not renew lock for job 7'));
    expect(lines).toMatchObject([{ level: 'error', message: 'approvals worker failed' }]);
    health.close();
  });

  it('gives up once after giveUpAfterMs without an answer', async () => {
    let clock = 0;
    const given: RedisLostError[] = [];
    const { lines, log } = recordingLog();
    const health = createRedisHealth({
      redis: 'redis://127.0.0.1:6379',
      ping: async () => {
        clock += 400;
        throw refused();
      },
      log,
      readiness: '/healthz answers 503',
      giveUpAfterMs: 1_000,
      checkEveryMs: 5,
      now: () => clock,
      onGiveUp: (error) => given.push(error),
    });
    health.report(refused());
    await until(() => given.length > 0);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(given).toHaveLength(1);
    expect(given[0]).toMatchObject({ code: RedisErrorCode.Lost });
    expect(lines.map((line) => line.level)).toEqual(['warn', 'error']);
    expect(lines[1]!.message).toContain('has not come back (connect ECONNREFUSED 127.0.0.1:6379)');
    expect(await health.ready()).toBe(false);
  });
});
