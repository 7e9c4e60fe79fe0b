/**
 * Events appended per second, through the same path the apps use (record() -> batch ->
 * one compare-and-set script per batch). Run: pnpm --filter @gatehouse/audit bench
 * Needs Redis at $REDIS_URL (default redis://127.0.0.1:6379); uses a throwaway prefix.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { AuditEventInput, AuditLog } from '../src/index.js';
import { createAuditLog } from '../src/index.js';
import { auditKeys } from '../src/keys.js';
import { verifyLog } from '../src/store/verify-log.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const EVENTS = Number(process.env.BENCH_EVENTS ?? 50_000);
/** Requests in flight at once, as a busy gateway would have. */
const IN_FLIGHT = 256;

const body = JSON.stringify({ kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' });

function event(n: number): AuditEventInput {
  return n % 2 === 0
    ? {
        type: 'request.received',
        requestId: `req-${n}`,
        agent: 'agent-oncall',
        cluster: 'prod',
        command: `kubectl delete pod web-${n} -n prod-web`,
        action: {
          kind: 'resource',
          verb: 'delete',
          resource: 'pods',
          namespace: 'prod-web',
          name: `web-${n}`,
        },
        decision: { effect: 'allow', rule: null },
        request: {
          method: 'DELETE',
          path: `/api/v1/namespaces/prod-web/pods/web-${n}`,
          query: '',
          headers: {
            authorization: 'Bearer t0ken',
            'kubectl-command': 'kubectl delete',
            'user-agent': 'kubectl/v1.32.0',
          },
          body,
        },
      }
    : { type: 'upstream.response', requestId: `req-${n - 1}`, cluster: 'prod', status: 200, durationMs: 12 };
}

/** Appends `count` events from each writer with IN_FLIGHT outstanding per writer; returns events/s overall. */
async function run(writers: readonly AuditLog[], count: number): Promise<number> {
  const started = performance.now();
  await Promise.all(
    writers.map(async (audit) => {
      const inFlight = new Set<Promise<unknown>>();
      for (let n = 0; n < count; n += 1) {
        const pending = audit.record(event(n)).finally(() => inFlight.delete(pending));
        inFlight.add(pending);
        if (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight);
      }
      await Promise.all(inFlight);
    }),
  );
  return (writers.length * count) / ((performance.now() - started) / 1000);
}

async function runSequential(audit: AuditLog, count: number): Promise<number> {
  const started = performance.now();
  for (let n = 0; n < count; n += 1) await audit.record(event(n));
  return count / ((performance.now() - started) / 1000);
}

const prefix = `bench-audit-${randomUUID()}`;
const admin = new Redis(REDIS_URL);
const writers = [0, 1].map(() => createAuditLog({ redis: REDIS_URL, prefix }));
try {
  await run(writers.slice(0, 1), 2_000); // warm up: script load, JIT
  const single = await run(writers.slice(0, 1), EVENTS);
  const two = await run(writers, EVENTS / 2);
  const sequential = await runSequential(writers[0]!, Math.min(EVENTS, 5_000));
  const verify = await verifyLog(admin, auditKeys(prefix));
  const rate = (value: number) => `${Math.round(value).toLocaleString('en-US')} events/s`;
  console.log(`one writer, ${IN_FLIGHT} in flight:            ${rate(single)}`);
  console.log(`two writers (own connections), racing: ${rate(two)}`);
  console.log(`one writer, each record() awaited:     ${rate(sequential)}`);
  console.log(
    `chain after the run: ${verify.ok ? `intact, ${verify.count} events` : `BROKEN: ${verify.message}`}`,
  );
  if (!verify.ok) process.exitCode = 1;
} finally {
  await Promise.all(writers.map((audit) => audit.close()));
  const keys = await admin.keys(`${prefix}:*`);
  if (keys.length > 0) await admin.del(...keys);
  await admin.quit();
}
