import { once } from 'node:events';
import { connect } from 'node:net';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { AGENT_TOKEN, OTHER_AGENT_TOKEN, startPipelineHarness } from '../testing/harness.js';
import type { ClusterUpstream } from '../upstream/index.js';
import { actingAs, impersonationHeaders } from './index.js';

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

/** The identities the harness configures (testing/harness.ts). */
const AGENT_1 = { user: 'gatehouse:agent:agent-1', groups: ['gatehouse:agents'] };
const AGENT_2 = { user: 'team:deployer', groups: ['team:deployers', 'gatehouse:agents'] };

/** The impersonation header lines one upstream request carried, each line apart. */
function impersonation(received: Harness['upstream']['received'][number] | undefined) {
  return Object.fromEntries(
    Object.entries(received?.headersDistinct ?? {}).filter(([name]) => name.startsWith('impersonate-')),
  );
}

/**
 * What a hostile client can send, written raw so case variants and repeated lines reach the
 * gateway exactly as typed.
 */
const HOSTILE = [
  'Impersonate-User: system:admin',
  'IMPERSONATE-GROUP: system:masters',
  'impersonate-group: system:nodes',
  'Impersonate-Uid: 0',
  'Impersonate-Extra-Scopes: everything',
  'iMpErSoNaTe-UsEr: kube-admin',
];

/** Sends one raw HTTP/1.1 request and resolves with what came back once the gateway closes. */
async function raw(harness: Harness, head: string[]): Promise<string> {
  const socket = connect(harness.port, '127.0.0.1');
  await once(socket, 'connect');
  let text = '';
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  socket.write(`${head.join('\r\n')}\r\n\r\n`);
  await once(socket, 'close');
  return text;
}

describe('impersonation headers', () => {
  it('sends the user once and each group on a line of its own', () => {
    expect(impersonationHeaders(AGENT_2)).toEqual({
      'impersonate-user': 'team:deployer',
      'impersonate-group': ['team:deployers', 'gatehouse:agents'],
    });
    expect(impersonationHeaders({ user: 'solo', groups: [] })).toEqual({ 'impersonate-user': 'solo' });
  });

  it('adds the identity to the cluster credentials, and leaves the upstream alone without one', async () => {
    const upstream = {
      authHeaders: async () => ({ authorization: 'Bearer gateway' }),
    } as unknown as ClusterUpstream;
    expect(actingAs(upstream, undefined)).toBe(upstream);
    expect(await actingAs(upstream, AGENT_1).authHeaders()).toEqual({
      authorization: 'Bearer gateway',
      'impersonate-user': 'gatehouse:agent:agent-1',
      'impersonate-group': ['gatehouse:agents'],
    });
  });
});

describe('each agent acts as its own Kubernetes identity', () => {
  it('impersonates the agent that sent the request, on plain and streamed requests', async () => {
    const harness = await start();
    for (const [token, path] of [
      [AGENT_TOKEN, '/clusters/test/api/v1/namespaces/a/pods'],
      [OTHER_AGENT_TOKEN, '/clusters/test/api/v1/namespaces/a/pods?watch=true'],
    ] as const) {
      const response = await request(`${harness.base}${path}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      await response.body.text();
      expect(response.statusCode).toBe(200);
    }
    const [first, second] = harness.upstream.received;
    expect(first?.headers.authorization).toBe('Bearer upstream-credential');
    expect(impersonation(first)).toEqual({
      'impersonate-user': [AGENT_1.user],
      'impersonate-group': AGENT_1.groups,
    });
    expect(impersonation(second)).toEqual({
      'impersonate-user': [AGENT_2.user],
      'impersonate-group': AGENT_2.groups,
    });
    const received = harness.audit.filter((event) => event.type === 'request.received');
    expect(received.map((event) => event.runAs)).toEqual([AGENT_1, AGENT_2]);
  });

  it("never lets a client's own Impersonate-* headers through, whatever their case or number", async () => {
    const harness = await start();
    const answer = await raw(harness, [
      'GET /clusters/test/api/v1/namespaces/a/pods HTTP/1.1',
      'Host: gateway',
      'Connection: close',
      `Authorization: Bearer ${OTHER_AGENT_TOKEN}`,
      ...HOSTILE,
    ]);
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    const [received] = harness.upstream.received;
    expect(impersonation(received)).toEqual({
      'impersonate-user': [AGENT_2.user],
      'impersonate-group': AGENT_2.groups,
    });
  });

  it('strips them and impersonates nobody where the cluster is configured without impersonation', async () => {
    const harness = await start({ impersonate: false });
    await raw(harness, [
      'GET /clusters/test/api/v1/namespaces/a/pods HTTP/1.1',
      'Host: gateway',
      'Connection: close',
      `Authorization: Bearer ${AGENT_TOKEN}`,
      ...HOSTILE,
    ]);
    expect(harness.upstream.received).toHaveLength(1);
    expect(impersonation(harness.upstream.received[0])).toEqual({});
    const [event] = harness.audit;
    expect(event).toMatchObject({ type: 'request.received' });
    expect(event && 'runAs' in event ? event.runAs : undefined).toBeUndefined();
  });

  it('impersonates the agent on an upgrade (exec), with the client asking for someone else', async () => {
    const harness = await start();
    const socket = connect(harness.port, '127.0.0.1');
    await once(socket, 'connect');
    let answer = '';
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString();
    });
    socket.write(
      `${[
        'GET /clusters/test/api/v1/namespaces/dev/pods/web/exec?command=sh HTTP/1.1',
        'Host: gateway',
        'Connection: Upgrade',
        'Upgrade: websocket',
        `Authorization: Bearer ${OTHER_AGENT_TOKEN}`,
        ...HOSTILE,
      ].join('\r\n')}\r\n\r\n`,
    );
    await expect.poll(() => answer).toContain('101 Switching Protocols');
    socket.destroy();
    const [upgrade] = harness.upstream.received;
    expect(upgrade?.url).toBe('/api/v1/namespaces/dev/pods/web/exec?command=sh');
    expect(impersonation(upgrade)).toEqual({
      'impersonate-user': [AGENT_2.user],
      'impersonate-group': AGENT_2.groups,
    });
  });

  it('shows approvers who the held request runs as, and sends it as that identity once approved', async () => {
    const harness = await start();
    const pending = request(`${harness.base}/clusters/test/api/v1/namespaces/prod/pods/web-0`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${OTHER_AGENT_TOKEN}`, 'impersonate-user': 'system:admin' },
    });
    await expect.poll(() => harness.approvals.all().length).toBe(1);
    const [approval] = harness.approvals.all();
    // The approvals store records the opening (runAs included) with the transition itself.
    expect(approval?.runAs).toEqual(AGENT_2);
    expect(harness.upstream.received).toEqual([]);

    harness.approvals.settle(approval!.id, 'approved');
    const response = await pending;
    await response.body.text();
    expect(response.statusCode).toBe(200);
    const [sent] = harness.upstream.received;
    expect(sent?.method).toBe('DELETE');
    // The dispatch also names its approval, so the cluster's own audit log shows what let it through.
    expect(impersonation(sent)).toEqual({
      'impersonate-user': [AGENT_2.user],
      'impersonate-group': AGENT_2.groups,
      'impersonate-extra-gatehouse.dev%2fapproval-id': [approval!.id],
    });
  });

  it("sends a granted retry as the agent's identity too", async () => {
    const harness = await start({ holdTimeoutMs: 50 });
    const remove = async () => {
      const response = await request(`${harness.base}/clusters/test/api/v1/namespaces/prod/pods/web-0`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${AGENT_TOKEN}` },
      });
      await response.body.text();
      return response.statusCode;
    };
    expect(await remove()).toBe(403);
    const [approval] = harness.approvals.all();
    harness.approvals.settle(approval!.id, 'approved');
    expect(await remove()).toBe(200);
    expect(harness.approvals.all()[0]?.dispatch?.via).toBe('grant');
    const [sent] = harness.upstream.received;
    expect(impersonation(sent)).toEqual({
      'impersonate-user': [AGENT_1.user],
      'impersonate-group': AGENT_1.groups,
      'impersonate-extra-gatehouse.dev%2fapproval-id': [approval!.id],
    });
  });

  it("passes the cluster's own 403 through to the client and records it", async () => {
    const forbidden = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message:
        'pods is forbidden: User "gatehouse:agent:agent-1" cannot list resource "pods" in API group "" in the namespace "kube-system"',
      reason: 'Forbidden',
      details: { kind: 'pods' },
      code: 403,
    };
    const harness = await start({
      handler: (_req, res) => {
        res.writeHead(403, { 'content-type': 'application/json' });
        res.end(JSON.stringify(forbidden));
      },
    });
    const response = await request(`${harness.base}/clusters/test/api/v1/namespaces/kube-system/pods`, {
      headers: { authorization: `Bearer ${AGENT_TOKEN}` },
    });
    expect(response.statusCode).toBe(403);
    expect(await response.body.json()).toEqual(forbidden);
    expect(harness.audit.find((event) => event.type === 'request.received')).toMatchObject({
      cluster: 'test',
      response: { status: 403 },
    });
  });
});
