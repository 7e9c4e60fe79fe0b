import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClosedError, InvalidEventError, InvalidOptionsError } from '../errors.js';
import type { AuditEventInput } from '../events.js';
import { auditKeys } from '../keys.js';
import { readApproval, readLog } from '../store/log-reader.js';
import { verifyLog } from '../store/verify-log.js';
import type { IsolatedRedis } from '../test-support/redis.js';
import { isolatedRedis } from '../test-support/redis.js';
import { recordApprovedDelete, STORY } from '../test-support/story.js';
import { createAuditLog } from './index.js';

let ctx: IsolatedRedis;
let dir: string;
beforeEach(async () => {
  ctx = await isolatedRedis();
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-audit-'));
});
afterEach(async () => {
  await ctx.cleanup();
  await rm(dir, { recursive: true, force: true });
});

/** A clock that ticks one second per event, from a fixed start. */
function steppingClock(start = Date.UTC(2026, 10, 26, 1, 0, 0)) {
  let now = start - 1000;
  return () => (now += 1000);
}

async function logLines(): Promise<string[]> {
  const lines: string[] = [];
  for await (const entry of readLog(ctx.redis, auditKeys(ctx.prefix))) lines.push(entry.line);
  return lines;
}

/** Rewrites the log stream as an attacker with Redis access would (streams cannot be edited in place). */
async function rewriteLog(lines: readonly string[]): Promise<void> {
  const { log } = auditKeys(ctx.prefix);
  await ctx.redis.del(log);
  for (const line of lines) await ctx.redis.xadd(log, '*', 'e', line);
}

describe('createAuditLog', () => {
  it('keeps a realistic approved delete as one chain that verifies', async () => {
    const audit = createAuditLog({ redis: ctx.redis, prefix: ctx.prefix, clock: steppingClock() });
    await recordApprovedDelete(audit);
    await audit.close();

    const events = (await logLines()).map(
      (line) => JSON.parse(line) as { seq: number; type: string; time: string },
    );
    expect(events.map((event) => [event.seq, event.type])).toEqual([
      [1, 'request.received'],
      [2, 'approval.requested'],
      [3, 'vote'],
      [4, 'vote'],
      [5, 'approval.approved'],
      [6, 'dispatch'],
      [7, 'upstream.response'],
    ]);
    expect(events[4]!.time).toBe('2026-11-26T01:00:04.000Z');
    expect(await verifyLog(ctx.redis, auditKeys(ctx.prefix))).toMatchObject({ ok: true, count: 7 });
    const indexed = await readApproval(ctx.redis, auditKeys(ctx.prefix), STORY.approvalId);
    expect(indexed).toHaveLength(7);
  });

  it('stores kubectl headers, a body hash and never the token', async () => {
    const audit = createAuditLog({ redis: ctx.redis, prefix: ctx.prefix });
    await recordApprovedDelete(audit);
    await audit.close();
    const [first] = await logLines();
    expect(JSON.parse(first!)).toMatchObject({
      kubectl: { command: 'kubectl delete', session: '0f3c2a1b-session' },
      request: {
        headers: { authorization: '[REDACTED]' },
        body: { sha256: createHash('sha256').update(STORY.body).digest('hex'), bytes: STORY.body.length },
      },
    });
    const dump = (await logLines()).join('\n');
    expect(dump).not.toContain(STORY.token);
    expect(dump).not.toContain('propagationPolicy');
  });

  describe('detects tampering in Redis', () => {
    beforeEach(async () => {
      const audit = createAuditLog({ redis: ctx.redis, prefix: ctx.prefix, clock: steppingClock() });
      await recordApprovedDelete(audit);
      await audit.close();
    });
    const verify = () => verifyLog(ctx.redis, auditKeys(ctx.prefix));

    it('an edited event', async () => {
      const lines = await logLines();
      lines[4] = lines[4]!.replace('"U0BOB"', '"U0MALLORY"');
      await rewriteLog(lines);
      expect(await verify()).toMatchObject({ ok: false, seq: 5, problem: 'hash' });
    });

    it('a deleted event', async () => {
      const entries = [];
      for await (const entry of readLog(ctx.redis, auditKeys(ctx.prefix))) entries.push(entry);
      await ctx.redis.xdel(auditKeys(ctx.prefix).log, entries[2]!.id);
      expect(await verify()).toMatchObject({ ok: false, seq: 3, problem: 'sequence' });
    });

    it('a deleted last event', async () => {
      const lines = await logLines();
      await rewriteLog(lines.slice(0, -1));
      expect(await verify()).toMatchObject({ ok: false, seq: 7, problem: 'head' });
    });

    it('two events reordered', async () => {
      const lines = await logLines();
      [lines[3], lines[4]] = [lines[4]!, lines[3]!];
      await rewriteLog(lines);
      expect(await verify()).toMatchObject({ ok: false, seq: 4, problem: 'sequence' });
    });
  });

  it('never writes a Secret body, even with bodies: full', async () => {
    const file = join(dir, 'audit.jsonl');
    const audit = createAuditLog({
      redis: ctx.redis,
      prefix: ctx.prefix,
      bodies: 'full',
      sinks: [{ type: 'redis' }, { type: 'file', path: file }],
    });
    const secretValue = 'c3VwZXItc2VjcmV0LXBhc3N3b3Jk';
    const secret: AuditEventInput = {
      type: 'request.received',
      agent: 'agent-oncall',
      cluster: 'prod',
      command: 'kubectl create secret generic db -n prod',
      action: { kind: 'resource', verb: 'create', resource: 'secrets', namespace: 'prod' },
      decision: { effect: 'allow', rule: null },
      request: {
        method: 'POST',
        path: '/api/v1/namespaces/prod/secrets',
        query: '',
        headers: { Authorization: `Bearer ${STORY.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ kind: 'Secret', apiVersion: 'v1', data: { password: secretValue } }),
      },
    };
    const stored = await audit.record(secret);
    const configMap = await audit.record({
      ...secret,
      action: { kind: 'resource', verb: 'create', resource: 'configmaps', namespace: 'prod' },
      request: {
        ...secret.request,
        path: '/api/v1/namespaces/prod/configmaps',
        body: '{"kind":"ConfigMap"}',
      },
    });
    await audit.close();

    expect(stored).toMatchObject({ request: { body: { withheld: 'secret' } } });
    expect(configMap).toMatchObject({ request: { body: { text: '{"kind":"ConfigMap"}' } } });
    const everything = [(await logLines()).join('\n'), await readFile(file, 'utf8')].join('\n');
    expect(everything).not.toContain(secretValue);
    expect(everything).not.toContain(STORY.token);
    expect(everything).toContain('{\\"kind\\":\\"ConfigMap\\"}');
  });

  it('gives the file sink the same chained events as the stream', async () => {
    const file = join(dir, 'nested', 'audit.jsonl');
    const audit = createAuditLog({
      redis: ctx.redis,
      prefix: ctx.prefix,
      sinks: [{ type: 'redis' }, { type: 'file', path: file }],
    });
    await recordApprovedDelete(audit);
    await audit.close();
    const fileLines = (await readFile(file, 'utf8')).trimEnd().split('\n');
    expect(fileLines).toEqual(await logLines());
  });

  it('keeps the chain in Redis when only a file sink is configured', async () => {
    const file = join(dir, 'audit.jsonl');
    const audit = createAuditLog({
      redis: ctx.redis,
      prefix: ctx.prefix,
      sinks: [{ type: 'file', path: file }],
    });
    await recordApprovedDelete(audit);
    await audit.close();
    expect(await logLines()).toEqual([]);
    const head = await ctx.redis.hget(auditKeys(ctx.prefix).head, 'seq');
    expect(head).toBe('7');
    expect((await readFile(file, 'utf8')).trimEnd().split('\n')).toHaveLength(7);
  });

  it('moves the outbox into the chain with one read per batch, reading again only after a full one', async () => {
    const audit = createAuditLog({ redis: ctx.redis, prefix: ctx.prefix, maxBatch: 2 });
    const { outbox } = auditKeys(ctx.prefix);
    const entry = (n: number) =>
      JSON.stringify({ type: 'grant.expired', approvalId: `a-${n}`, time: '2026-11-26T01:00:00.000Z' });
    let reads = 0;
    const lrange = ctx.redis.lrange.bind(ctx.redis);
    ctx.redis.lrange = ((...args: Parameters<typeof lrange>) => {
      reads += 1;
      return lrange(...args);
    }) as typeof ctx.redis.lrange;
    await ctx.redis.rpush(outbox, entry(1));
    expect(await audit.drainOutbox()).toBe(1);
    expect(reads).toBe(1);
    // Three entries at two a batch: a full read, then a short one that ends the drain.
    await ctx.redis.rpush(outbox, entry(2), entry(3), entry(4));
    reads = 0;
    expect(await audit.drainOutbox()).toBe(3);
    expect(reads).toBe(2);
    expect(await ctx.redis.llen(outbox)).toBe(0);
    await audit.close();
    expect((await logLines()).map((line) => JSON.parse(line).approvalId)).toEqual([
      'a-1',
      'a-2',
      'a-3',
      'a-4',
    ]);
    expect((await verifyLog(ctx.redis, auditKeys(ctx.prefix))).ok).toBe(true);
  });

  it('rejects unknown events, bad options and use after close', async () => {
    expect(() => createAuditLog({ redis: ctx.redis, sinks: [] })).toThrow(InvalidOptionsError);
    expect(() => createAuditLog({ redis: ctx.redis, maxBatch: 0 })).toThrow(InvalidOptionsError);
    const audit = createAuditLog({ redis: ctx.redis, prefix: ctx.prefix });
    await expect(audit.record({ type: 'nope' } as unknown as AuditEventInput)).rejects.toThrow(
      InvalidEventError,
    );
    await audit.close();
    await expect(audit.record({ type: 'approval.expired', approvalId: 'x' })).rejects.toThrow(ClosedError);
    expect(await logLines()).toEqual([]);
  });
});
