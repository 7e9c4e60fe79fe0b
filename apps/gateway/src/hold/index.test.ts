import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { AGENT_TOKEN, startPipelineHarness } from '../testing/harness.js';

type Harness = Awaited<ReturnType<typeof startPipelineHarness>>;
const harnesses: Harness[] = [];
afterEach(async () => {
  for (const harness of harnesses.splice(0)) await harness.stop();
});

async function start(options?: Parameters<typeof startPipelineHarness>[0]) {
  const harness = await startPipelineHarness(options);
  harnesses.push(harness);
  return harness;
}

const POD = '/clusters/test/api/v1/namespaces/prod/pods/web-0';

async function remove(harness: Harness, signal?: AbortSignal) {
  const response = await request(`${harness.base}${POD}`, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${AGENT_TOKEN}`, 'content-type': 'application/json' },
    body: '{"propagationPolicy":"Background"}',
    signal: signal ?? null,
  });
  const text = await response.body.text();
  return { status: response.statusCode, json: () => JSON.parse(text) };
}

/** Waits until `count` requests are held, and returns the newest approval. */
async function held(harness: Harness, count = 1) {
  await expect.poll(async () => (await harness.metrics.held.get()).values[0]?.value).toBe(count);
  const approvals = harness.approvals.all();
  return approvals[approvals.length - 1]!;
}

const deletes = (harness: Harness) => harness.upstream.received.filter((r) => r.method === 'DELETE');

/** kubectl exec's two attempts at one command: the WebSocket GET, then the SPDY POST once that is refused. */
async function exec(harness: Harness, method: 'GET' | 'POST') {
  const response = await request(`${harness.base}${POD}/exec?command=sh&stdin=true&stdout=true`, {
    method,
    headers: { authorization: `Bearer ${AGENT_TOKEN}` },
  });
  const text = await response.body.text();
  return { status: response.statusCode, json: () => JSON.parse(text) };
}

describe('holding a gated request', () => {
  it('holds until approved, then sends it upstream exactly once and returns the answer', async () => {
    const harness = await start();
    const pending = remove(harness);
    const approval = await held(harness);
    expect(approval).toMatchObject({
      state: 'pending',
      agent: 'agent-1',
      owners: ['U0OWNER'],
      group: 'sre',
      rule: 'risky',
    });
    expect(approval.request.bodyBase64).toBe(
      Buffer.from('{"propagationPolicy":"Background"}').toString('base64'),
    );
    expect(harness.upstream.received).toEqual([]);

    harness.approvals.settle(approval.id, 'approved');
    const response = await pending;
    expect(response.status).toBe(200);
    expect(deletes(harness)).toHaveLength(1);
    expect(deletes(harness)[0]?.body).toBe('{"propagationPolicy":"Background"}');
    expect(harness.approvals.completions).toEqual([
      { id: approval.id, status: 200, durationMs: expect.any(Number) },
    ]);
    expect(harness.audit.map((event) => event.type)).toEqual(['request.received', 'upstream.response']);
  });

  it("records no status when the approved request found the cluster unreachable: the 503 is the gateway's", async () => {
    const harness = await start();
    const pending = remove(harness);
    const approval = await held(harness);
    await harness.upstream.stop();
    harness.approvals.settle(approval.id, 'approved');
    expect((await pending).status).toBe(503);
    expect(harness.approvals.completions).toEqual([
      {
        id: approval.id,
        unanswered: { kind: 'no-answer', why: 'the cluster could not be reached or failed mid-request' },
        durationMs: expect.any(Number),
      },
    ]);
    expect(harness.audit.map((event) => event.type)).toEqual(['request.received']);
  });

  it('answers a denial with 403 naming who denied and why; nothing is sent', async () => {
    const harness = await start();
    const pending = remove(harness);
    const approval = await held(harness);
    harness.approvals.settle(approval.id, 'denied', {
      deniedBy: 'U0BOB',
      denyReason: 'not during the freeze',
      votes: [
        {
          userId: 'U0BOB',
          userName: 'bob',
          decision: 'deny',
          reason: 'not during the freeze',
          at: Date.now(),
        },
      ],
    });
    const response = await pending;
    expect(response.status).toBe(403);
    expect(response.json().message).toContain(`approval ${approval.id}`);
    expect(response.json().message).toContain('denied by bob (U0BOB): not during the freeze');
    expect(harness.upstream.received).toEqual([]);
  });

  it('answers an expiry with 403 saying so', async () => {
    const harness = await start();
    const pending = remove(harness);
    const approval = await held(harness);
    harness.approvals.settle(approval.id, 'expired');
    const response = await pending;
    expect(response.status).toBe(403);
    expect(response.json().message).toContain(`approval ${approval.id}`);
    expect(response.json().message).toContain('expired at');
    expect(harness.upstream.received).toEqual([]);
  });

  it("answers an exec's retry with the denial of its first attempt, without a second approval", async () => {
    const harness = await start();
    const first = exec(harness, 'GET');
    const approval = await held(harness);
    harness.approvals.settle(approval.id, 'denied', { deniedBy: 'U0BOB', denyReason: 'use the runbook' });
    expect((await first).status).toBe(403);

    const retry = await exec(harness, 'POST');
    expect(retry.status).toBe(403);
    const message: string = retry.json().message;
    expect(message).toContain(`approval ${approval.id}`);
    expect(message).toContain('denied by U0BOB: use the runbook');
    const askAgainAt = new Date((harness.approvals.all()[0]!.decidedAt ?? 0) + 60_000).toISOString();
    expect(message).toContain(`re-run the command after ${askAgainAt} to ask again`);
    expect(harness.approvals.all()).toHaveLength(1);
    // approval.requested is the approvals store's to record (once, in its open script).
    expect(harness.approvals.all()).toHaveLength(1);
    expect(harness.upstream.received).toEqual([]);
    // Both attempts are in the approval's audit story.
    expect(
      harness.audit.filter((event) => event.type === 'request.received').map((event) => event.approvalId),
    ).toEqual([approval.id, approval.id]);
  });

  it('audits a gated request with its approval id, or without one when the store fails', async () => {
    const harness = await start();
    const pending = remove(harness);
    const approval = await held(harness);
    expect(harness.audit[0]).toMatchObject({ type: 'request.received', approvalId: approval.id });
    harness.approvals.settle(approval.id, 'denied');
    await pending;

    harness.approvals.port.open = async () => {
      throw new Error('redis is down');
    };
    const failed = await remove(harness);
    expect(failed.status).toBeGreaterThanOrEqual(500);
    const received = harness.audit.filter((event) => event.type === 'request.received');
    expect(received).toHaveLength(2);
    expect(received[1]).not.toHaveProperty('approvalId');
    expect(harness.upstream.received).toEqual([]);
  });

  it('times out the hold with 403 explaining the retry; the retry after approval passes once and only once', async () => {
    const harness = await start({ holdTimeoutMs: 150 });
    const first = await remove(harness);
    expect(first.status).toBe(403);
    const [approval] = harness.approvals.all();
    const message: string = first.json().message;
    expect(message).toContain(`approval ${approval!.id}`);
    expect(message).toContain('group sre');
    expect(message).toContain(new Date(approval!.expiresAt).toISOString());
    expect(message).toContain('re-run the same command');
    expect(harness.upstream.received).toEqual([]);

    harness.approvals.settle(approval!.id, 'approved');
    const retry = await remove(harness);
    expect(retry.status).toBe(200);
    expect(deletes(harness)).toHaveLength(1);
    // grant.used is the approvals store's to record; the gateway records the request and its answer.
    expect(harness.audit.filter((event) => event.type === 'upstream.response')).toHaveLength(1);

    // The grant is spent: the next identical request asks again.
    const again = await remove(harness);
    expect(again.status).toBe(403);
    expect(harness.approvals.all()).toHaveLength(2);
    expect(deletes(harness)).toHaveLength(1);
  });

  it('sends nothing when the client left before the approval; the retry uses the grant', async () => {
    const harness = await start();
    const controller = new AbortController();
    const gone = remove(harness, controller.signal).catch((error: Error) => error.name);
    const approval = await held(harness);
    controller.abort();
    expect(await gone).toBe('AbortError');
    await expect.poll(async () => (await harness.metrics.held.get()).values[0]?.value).toBe(0);

    harness.approvals.settle(approval.id, 'approved');
    expect(harness.upstream.received).toEqual([]);
    const retry = await remove(harness);
    expect(retry.status).toBe(200);
    expect(deletes(harness)).toHaveLength(1);
    expect(harness.approvals.all()).toHaveLength(1);
  });

  it('joins identical requests to one approval and dispatches only one of them', async () => {
    const harness = await start();
    const a = remove(harness);
    const b = remove(harness);
    const approval = await held(harness, 2);
    expect(harness.approvals.all()).toHaveLength(1);
    harness.approvals.settle(approval.id, 'approved');
    const statuses = (await Promise.all([a, b])).map((r) => r.status).sort();
    expect(statuses).toEqual([200, 409]);
    expect(deletes(harness)).toHaveLength(1);
  });
});
