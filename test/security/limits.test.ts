import { readFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { connect as tlsConnect } from 'node:tls';
import { waitUntil } from '@gatehouse/testkit/processes';
import { prefixKeys } from '@gatehouse/testkit/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_ID, type Stack, startStack } from '../stack/index.js';
import { auditEvents, gatewayRequest, report } from './support.js';

/**
 * One agent trying to exhaust the gateway: many held requests with big bodies, more held requests
 * than its share, and uploads that stall. The gateway must stay inside its chart's memory limit,
 * refuse the excess with a Status naming the limit (audited), and keep answering other agents.
 */

const FLOODER = 'agent-flood';
/** deploy/helm values: the gateway container's memory limit. */
const CHART_MEMORY_LIMIT_MIB = 512;
const MIB = 1024 * 1024;

/** Peak and current resident memory of a process, from /proc (Linux). */
async function memoryMib(pid: number): Promise<{ peak: number; now: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { peak: kib('VmHWM') / 1024, now: kib('VmRSS') / 1024 };
}

/** A ConfigMap create whose body is `bytes` long (the data padded to size). */
function bigConfigMap(name: string, bytes: number): Buffer {
  const head = `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"${name}"},"data":{"blob":"`;
  const tail = '"}}';
  return Buffer.concat([
    Buffer.from(head),
    Buffer.alloc(bytes - head.length - tail.length, 'x'),
    Buffer.from(tail),
  ]);
}

/**
 * Where held bodies are in the stack's Redis: the body keys' lengths, and the size of the largest
 * other key (by MEMORY USAGE), so a second copy anywhere shows.
 */
async function heldBodiesInRedis(
  stack: Stack,
): Promise<{ bodies: number[]; bodyBytes: number; largestOther: number }> {
  const { redis } = stack.redis;
  const keys = await prefixKeys(redis, stack.redis.prefix);
  const bodies: number[] = [];
  let largestOther = 0;
  for (const key of keys) {
    if (key.endsWith(':body')) bodies.push(await redis.strlen(key));
    else largestOther = Math.max(largestOther, (await redis.memory('USAGE', key)) ?? 0);
  }
  return { bodies, bodyBytes: bodies.reduce((sum, n) => sum + n, 0), largestOther };
}

interface Outcome {
  readonly status: number;
  readonly retryAfter?: string | undefined;
  /** The Status a 429 carried. */
  readonly status429?: Record<string, unknown> | undefined;
}

describe('security: one agent cannot exhaust the gateway', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({
      extraAgents: [{ id: FLOODER, owners: ['U0ALICE'] }],
      gateway: { maxHeldBodySize: '3MiB' },
      policy: {
        default: 'allow',
        rules: [
          {
            name: 'prod-configmaps',
            match: { verbs: ['create'], resources: ['configmaps'], namespaces: ['prod-*'] },
            require: { group: 'sre-oncall', approvals: 1 },
          },
        ],
      },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  /**
   * A ConfigMap create as `agent`, in the background: resolves with the gateway's answer, with
   * status 0 when `signal` ends it while held, -1 when the gateway cut the upload before answering.
   */
  function create(agent: string, namespace: string, body: Buffer, signal: AbortSignal): Promise<Outcome> {
    const url = new URL(stack.gatewayUrl);
    return new Promise((resolve) => {
      const outgoing = httpsRequest(
        {
          host: url.hostname,
          port: url.port,
          method: 'POST',
          path: `/clusters/${stack.cluster}/api/v1/namespaces/${namespace}/configmaps`,
          ca: stack.gatewayCaPem,
          agent: false,
          signal,
          headers: {
            authorization: `Bearer ${stack.agentTokens[agent]}`,
            'content-type': 'application/json',
            'content-length': body.length,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', () => resolve({ status: res.statusCode ?? -1 }));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            resolve({
              status: res.statusCode ?? -1,
              retryAfter: res.headers['retry-after'],
              status429: res.statusCode === 429 ? (JSON.parse(text) as Record<string, unknown>) : undefined,
            });
          });
        },
      );
      outgoing.on('error', () => resolve({ status: signal.aborted ? 0 : -1 }));
      outgoing.end(body);
    });
  }

  it('300 held requests with 3 MiB bodies: RSS under the chart limit, the excess refused, other reads answer', async () => {
    const body = bigConfigMap('flood', 3 * MIB);
    const held = new AbortController();
    const flood = Array.from({ length: 300 }, (_, i) =>
      create(FLOODER, `prod-flood-${i}`, body, held.signal),
    );
    // While the flood is held: another agent's reads answer.
    const reads: number[] = [];
    for (let i = 0; i < 5; i++) {
      const answer = await gatewayRequest(stack, {
        method: 'GET',
        path: `/clusters/${stack.cluster}/api/v1/namespaces`,
      });
      reads.push(answer.status);
    }
    // Every flood request is either held (an approval opened) or refused and audited.
    const events = await waitUntil(
      'every flood request held or refused',
      async () => {
        const all = await auditEvents(stack);
        const limited = all.filter((e) => e.type === 'request.limited' && e.agent === FLOODER).length;
        const opened = all.filter((e) => e.type === 'approval.requested' && e.agent === FLOODER).length;
        return limited + opened >= 300 && all;
      },
      90_000,
    );
    const memory = await memoryMib(stack.gateway.pid);
    const redisCopies = await heldBodiesInRedis(stack);
    const limited = events.filter((e) => e.type === 'request.limited' && e.agent === FLOODER);
    const opened = events.filter((e) => e.type === 'approval.requested' && e.agent === FLOODER).length;
    const byLimit = new Map<string, number>();
    for (const e of limited) byLimit.set(String(e.limit), (byLimit.get(String(e.limit)) ?? 0) + 1);
    report(
      'flood: 300 held requests with 3 MiB bodies from one agent',
      Math.round(memory.peak),
      CHART_MEMORY_LIMIT_MIB,
      'MiB gateway peak RSS',
      `${opened} held, ${limited.length} refused (${[...byLimit].map(([k, n]) => `${k} ${n}`).join(', ')}); another agent's reads ${reads.filter((s) => s === 200).length}/5 answered; Redis: ${redisCopies.bodies.length} body copies of ${Math.round(redisCopies.bodyBytes / MIB)} MiB, largest other key ${redisCopies.largestOther} bytes`,
    );
    // Each held body is in Redis once (its own key, base64), nowhere else: no other key of the
    // stack (approval hashes, BullMQ jobs, the audit stream of all 300 requests) is a quarter of one.
    expect(redisCopies.bodies).toHaveLength(opened);
    for (const length of redisCopies.bodies) expect(length).toBe(Math.ceil(body.length / 3) * 4);
    expect(redisCopies.largestOther).toBeLessThan(MIB);
    expect(memory.peak).toBeLessThan(CHART_MEMORY_LIMIT_MIB);
    expect(reads).toEqual([200, 200, 200, 200, 200]);
    expect(opened + limited.length).toBe(300);
    // Bodies in memory are capped per agent (gateway.bodyMemoryPerAgent, 32 MiB): at most 10 of 3 MiB.
    expect(opened).toBeLessThanOrEqual(10);
    expect(limited.every((e) => e.status === 429)).toBe(true);
    held.abort();
    const outcomes = await Promise.all(flood);
    const answered = outcomes.filter((o) => o.status > 0);
    expect(answered.every((o) => o.status === 429)).toBe(true);
    expect(outcomes.filter((o) => o.status === 0)).toHaveLength(opened);
  }, 120_000);

  it('more held requests than an agent may have: the excess gets 429 with Retry-After, audited', async () => {
    const before = (await auditEvents(stack)).length;
    const small = (i: number) => bigConfigMap(`small-${i}`, 200);
    const held = new AbortController();
    const attempts = Array.from({ length: 25 }, (_, i) =>
      create(AGENT_ID, `prod-many-${i}`, small(i), held.signal),
    );
    const events = await waitUntil('every request held or refused', async () => {
      const all = await auditEvents(stack);
      const fresh = all.slice(before);
      const count = fresh.filter(
        (e) => e.type === 'request.limited' || e.type === 'approval.requested',
      ).length;
      return count >= 25 && all;
    });
    const fresh = events.slice(before);
    const refused = fresh.filter((e) => e.type === 'request.limited');
    held.abort();
    const answers = (await Promise.all(attempts)).filter((a) => a.status !== 0);
    report(
      'held per agent',
      answers.length,
      25,
      'refused with 429',
      `limit gateway.maxHeldPerAgent 20; ${refused.length} audited; Retry-After ${answers[0]?.retryAfter ?? '-'}`,
    );
    expect(answers).toHaveLength(5);
    for (const answer of answers) {
      expect(answer.status).toBe(429);
      expect(answer.retryAfter).toBe('10');
      expect(answer.status429).toMatchObject({
        kind: 'Status',
        reason: 'TooManyRequests',
        code: 429,
        details: { retryAfterSeconds: 10 },
      });
      expect(String(answer.status429?.message)).toMatch(/gateway\.maxHeldPerAgent/);
    }
    expect(refused.map((e) => e.limit)).toEqual(answers.map(() => 'gateway.maxHeldPerAgent'));
  }, 60_000);

  it('uploads that stall one byte short are cut at gateway.bodyTimeout and recorded', async () => {
    // A short timeout for this test alone: under the 30 s default a big upload on a busy machine is never cut.
    await stack.updateConfig((config) => {
      (config.gateway as Record<string, unknown>).bodyTimeout = '2s';
    });
    await stack.kill('gateway', { graceful: true });
    await stack.start('gateway');
    const before = (await auditEvents(stack)).length;
    const url = new URL(stack.gatewayUrl);
    const token = stack.agentTokens[AGENT_ID]!;
    const stalled = Array.from(
      { length: 20 },
      (_, i) =>
        new Promise<string>((resolve) => {
          const chunks: Buffer[] = [];
          const socket = tlsConnect(
            { host: url.hostname, port: Number(url.port), ca: stack.gatewayCaPem },
            () => {
              const body = bigConfigMap(`stall-${i}`, 64 * 1024);
              socket.write(
                `POST /clusters/${stack.cluster}/api/v1/namespaces/default/configmaps HTTP/1.1\r\n` +
                  `Host: ${url.host}\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\n` +
                  `Content-Length: ${body.length}\r\n\r\n`,
              );
              socket.write(body.subarray(0, body.length - 1));
            },
          );
          socket.on('data', (chunk: Buffer) => chunks.push(chunk));
          socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
          socket.on('error', () => undefined);
        }),
    );
    const answers = await Promise.all(stalled);
    // The 408 goes out as the upload is cut; its audit event is stored beside it, not before it.
    const isCut = (e: Record<string, unknown>) =>
      e.type === 'request.limited' && e.limit === 'gateway.bodyTimeout';
    const events = await waitUntil('every stalled upload recorded', async () => {
      const fresh = (await auditEvents(stack)).slice(before);
      return fresh.filter(isCut).length >= stalled.length && fresh;
    });
    const cut = events.filter(isCut);
    const timedOut = answers.filter((a) => a.startsWith('HTTP/1.1 408'));
    report('stalled uploads', cut.length, 20, 'cut and recorded', `${timedOut.length} answered 408`);
    expect(cut).toHaveLength(20);
    expect(timedOut).toHaveLength(20);
    expect(stack.upstream.received({ method: 'POST' }).filter((r) => r.path.includes('stall'))).toEqual([]);
  }, 60_000);
});
