import { once } from 'node:events';
import { connect } from 'node:net';
import { Readable } from 'node:stream';
import type { PolicyContext } from '@gatehouse/policy';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import type { LabelsPort } from '../labels/index.js';
import { fakePolicy } from '../testing/fake-policy.js';
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

const auth = { authorization: `Bearer ${AGENT_TOKEN}` };

async function call(
  harness: Harness,
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: string; signal?: AbortSignal } = {},
) {
  const response = await request(`${harness.base}${path}`, {
    method: (init.method ?? 'GET') as 'GET',
    headers: { ...auth, ...init.headers },
    body: init.body ?? null,
    signal: init.signal ?? null,
  });
  const text = await response.body.text();
  return { status: response.statusCode, headers: response.headers, text, json: () => JSON.parse(text) };
}

describe('routing and authentication', () => {
  it('answers 401 Status to a missing or unknown token and forwards nothing', async () => {
    const harness = await start();
    for (const headers of [{ authorization: '' }, { authorization: 'Bearer wrong' }]) {
      const response = await call(harness, '/clusters/test/api/v1/pods', { headers });
      expect(response.status).toBe(401);
      expect(response.json()).toMatchObject({
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Failure',
        reason: 'Unauthorized',
        code: 401,
      });
      expect(response.json().message).toContain('gatehouse-gateway kubeconfig');
    }
    expect(harness.upstream.received).toEqual([]);
    await call(harness, '/clusters/attacker-chosen-name/api', { headers: { authorization: '' } });
    const metrics = await (await request(`${harness.base}/metrics`)).body.text();
    expect(metrics).toContain('gatehouse_gateway_requests_total{cluster="test",decision="unauthorized"} 2');
    expect(metrics).toContain(
      'gatehouse_gateway_requests_total{cluster="(unknown)",decision="unauthorized"} 1',
    );
    expect(metrics).not.toContain('attacker-chosen-name');
  });

  it('answers 500 when a metrics source fails, and goes on serving', async () => {
    const harness = await start({
      metricSources: { auditSinkBacklog: () => Promise.reject(new Error('redis down')) },
    });
    const metrics = await request(`${harness.base}/metrics?debug=1`);
    await metrics.body.text();
    expect(metrics.statusCode).toBe(500);
    expect((await request(`${harness.base}/healthz`)).statusCode).toBe(200);
    expect((await call(harness, '/clusters/test/api/v1/namespaces/a/pods')).status).toBe(200);
  });

  it('answers 404 Status for paths outside /clusters and for unknown clusters', async () => {
    const harness = await start();
    expect((await call(harness, '/api/v1/pods')).json()).toMatchObject({ reason: 'NotFound', code: 404 });
    const unknown = await call(harness, '/clusters/nope/api/v1/pods');
    expect(unknown.status).toBe(404);
    expect(unknown.json().message).toContain(
      'cluster nope is not configured on this gateway; known clusters: test',
    );
    expect(harness.upstream.received).toEqual([]);
  });

  it('serves health and metrics without a token', async () => {
    const harness = await start();
    expect((await request(`${harness.base}/healthz`)).statusCode).toBe(200);
    expect((await request(`${harness.base}/readyz`)).statusCode).toBe(200);
    await call(harness, '/clusters/test/api/v1/namespaces/a/pods');
    const metrics = await (await request(`${harness.base}/metrics`)).body.text();
    expect(metrics).toContain('gatehouse_gateway_requests_total{cluster="test",decision="allow"} 1');
  });
});

describe('allowed requests', () => {
  it('forwards with the cluster credential and without client identity headers', async () => {
    // Impersonation off: nothing may impersonate at all (impersonation/index.test.ts covers it on).
    const harness = await start({ impersonate: false });
    const response = await call(harness, '/clusters/test/api/v1/namespaces/a/pods?limit=500', {
      headers: {
        'impersonate-user': 'system:admin',
        'impersonate-group': 'system:masters',
        'impersonate-extra-scopes': 'x',
        'x-remote-user': 'admin',
        'x-http-method-override': 'DELETE',
        accept: 'application/json',
      },
    });
    expect(response.status).toBe(200);
    expect(response.json()).toMatchObject({ method: 'GET', url: '/api/v1/namespaces/a/pods?limit=500' });
    const [received] = harness.upstream.received;
    expect(received?.headers.authorization).toBe('Bearer upstream-credential');
    expect(
      Object.keys(received?.headers ?? {}).filter((name) =>
        /^(impersonate-|x-remote-|x-http-method)/.test(name),
      ),
    ).toEqual([]);
    expect(received?.headers.accept).toBe('application/json');
    // One event per allowed request, written once the cluster answered, with its answer.
    expect(harness.audit.map((event) => event.type)).toEqual(['request.received']);
    expect(harness.audit[0]).toMatchObject({
      agent: 'agent-1',
      identity: { method: 'static-token' },
      response: { status: 200, durationMs: expect.any(Number) },
    });
  });

  it('keeps its connection to the cluster after a DELETE with DeleteOptions', async () => {
    // Undici closes a connection after a body on a method that expects none unless told otherwise:
    // every approved delete opened a new TLS connection to the API server.
    const harness = await start({
      policy: { ...fakePolicy, decide: () => ({ effect: 'allow', rule: null }) },
    });
    for (const name of ['a', 'b', 'c']) {
      const response = await call(harness, `/clusters/test/api/v1/namespaces/dev/pods/${name}`, {
        method: 'DELETE',
        headers: { 'content-type': 'application/json' },
        body: '{"propagationPolicy":"Background"}',
      });
      expect(response.status).toBe(200);
    }
    expect(harness.upstream.received.map((received) => received.body)).toEqual(
      Array(3).fill('{"propagationPolicy":"Background"}'),
    );
    expect(harness.upstream.connectionsOpened()).toBe(1);
  });

  it('streams a watch: events reach the client before the upstream finishes, and a client abort reaches the upstream', async () => {
    let release: (() => void) | undefined;
    const harness = await start({
      handler: (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"type":"ADDED"}\n');
        release = () => res.end();
      },
    });
    const controller = new AbortController();
    const response = await request(`${harness.base}/clusters/test/api/v1/namespaces/a/pods?watch=true`, {
      headers: auth,
      signal: controller.signal,
    });
    const reader = response.body[Symbol.asyncIterator]();
    const first = await reader.next();
    expect(Buffer.from(first.value as Buffer).toString()).toBe('{"type":"ADDED"}\n');
    expect(release).toBeDefined();
    controller.abort();
    await expect.poll(() => harness.upstream.closed).toContain('/api/v1/namespaces/a/pods?watch=true');
  });

  it('records an allowed request whose agent went away before the cluster answered: nothing drops out of the audit', async () => {
    const harness = await start({ handler: () => undefined });
    const controller = new AbortController();
    const sent = request(`${harness.base}/clusters/test/api/v1/namespaces/a/pods`, {
      headers: auth,
      signal: controller.signal,
    });
    await expect.poll(() => harness.upstream.received.length).toBe(1);
    controller.abort();
    await expect(sent).rejects.toThrow();
    // The request to the cluster is cut too, not left waiting for an answer nobody reads.
    await expect.poll(() => harness.upstream.closed).toContain('/api/v1/namespaces/a/pods');
    await expect.poll(() => harness.audit).toHaveLength(1);
    expect(harness.audit[0]).toMatchObject({
      type: 'request.received',
      command: expect.stringContaining('kubectl get pods'),
      response: { aborted: true },
    });
  });

  it('sends nothing for an agent that left while the cluster credentials were being read', async () => {
    let credentialsAsked: () => void = () => undefined;
    const asked = new Promise<void>((resolve) => {
      credentialsAsked = resolve;
    });
    let giveCredentials: () => void = () => undefined;
    const credentials = new Promise<void>((resolve) => {
      giveCredentials = resolve;
    });
    const harness = await start({
      wrapUpstream: (upstream) => ({
        ...upstream,
        authHeaders: async () => {
          credentialsAsked();
          await credentials;
          return upstream.authHeaders();
        },
      }),
    });
    const controller = new AbortController();
    const sent = request(`${harness.base}/clusters/test/api/v1/namespaces/a/pods`, {
      headers: auth,
      signal: controller.signal,
    });
    await asked;
    controller.abort();
    await expect(sent).rejects.toThrow();
    // The gateway has seen the connection close before the credentials arrive.
    await expect.poll(() => harness.connections()).toBe(0);
    giveCredentials();
    await expect.poll(() => harness.audit).toHaveLength(1);
    expect(harness.audit[0]).toMatchObject({ response: { aborted: true } });
    expect(harness.upstream.received).toEqual([]);
  });

  it('ends the client response when the upstream dies mid-stream', async () => {
    const harness = await start({
      handler: (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"type":"ADDED"}\n');
        setImmediate(() => res.socket?.destroy());
      },
    });
    const response = await request(`${harness.base}/clusters/test/api/v1/namespaces/a/pods?watch=true`, {
      headers: auth,
    });
    await expect(response.body.text()).rejects.toThrow();
  });

  it('buffers a mutating body, forwards it intact, and refuses one past the limit with 413', async () => {
    const harness = await start({ maxBodyBytes: 64 });
    const ok = await call(harness, '/clusters/test/api/v1/namespaces/a/pods', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"kind":"Pod"}',
    });
    expect(ok.status).toBe(200);
    expect(harness.upstream.received[0]?.body).toBe('{"kind":"Pod"}');
    const big = await call(harness, '/clusters/test/api/v1/namespaces/a/pods', {
      method: 'POST',
      body: 'x'.repeat(65),
    });
    expect(big.status).toBe(413);
    expect(big.json()).toMatchObject({ kind: 'Status', reason: 'RequestEntityTooLarge' });
    expect(harness.upstream.received).toHaveLength(1);
  });

  it('refuses encoded bodies the policy could not read', async () => {
    const harness = await start();
    const response = await call(harness, '/clusters/test/api/v1/namespaces/a/pods', {
      method: 'POST',
      headers: { 'content-encoding': 'gzip' },
      body: 'x',
    });
    expect(response.status).toBe(415);
    expect(harness.upstream.received).toEqual([]);
  });

  it('answers 503 Status when the cluster does not answer', async () => {
    const harness = await start();
    await harness.upstream.stop();
    const response = await call(harness, '/clusters/test/api/v1/namespaces/a/pods');
    expect(response.status).toBe(503);
    expect(response.json().message).toContain('cluster test');
    // The 503 is the gateway's, not the cluster's: the record says the cluster never answered.
    await expect.poll(() => harness.audit).toHaveLength(1);
    expect(harness.audit[0]).toMatchObject({ type: 'request.received', response: { unreachable: true } });
    expect(harness.audit[0]).not.toHaveProperty('response.status');
  });
});

describe('denied requests', () => {
  it('answers 403 with the rule and reason; nothing reaches the cluster', async () => {
    const harness = await start();
    const response = await call(harness, '/clusters/test/api/v1/namespaces/locked/pods', {
      method: 'POST',
      body: '{}',
    });
    expect(response.status).toBe(403);
    expect(response.json()).toMatchObject({ reason: 'Forbidden', code: 403 });
    expect(response.json().message).toContain('rule locked');
    expect(response.json().message).toContain('namespace locked is frozen');
    expect(harness.upstream.received).toEqual([]);
  });
});

describe('upgrades', () => {
  it('pipes an allowed upgrade both ways with filtered headers and the cluster credential', async () => {
    const harness = await start({ impersonate: false });
    const socket = connect(harness.port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write(
      'GET /clusters/test/api/v1/namespaces/dev/pods/web/exec?command=sh HTTP/1.1\r\n' +
        'Host: gateway\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n' +
        `Authorization: Bearer ${AGENT_TOKEN}\r\nImpersonate-User: system:admin\r\n` +
        'Sec-WebSocket-Protocol: v5.channel.k8s.io\r\n\r\n',
    );
    let received = '';
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString();
    });
    await expect.poll(() => received).toContain('101 Switching Protocols');
    socket.write('ls\n');
    await expect.poll(() => received).toContain('echo:ls\n');
    const [upgrade] = harness.upstream.received;
    expect(upgrade?.url).toBe('/api/v1/namespaces/dev/pods/web/exec?command=sh');
    expect(upgrade?.headers.authorization).toBe('Bearer upstream-credential');
    expect(upgrade?.headers['impersonate-user']).toBeUndefined();
    expect(upgrade?.headers['sec-websocket-protocol']).toBe('v5.channel.k8s.io');
    socket.destroy();
  });

  it('refuses an upgrade on a request that is not exec, attach, port-forward or proxy', async () => {
    const harness = await start();
    const socket = connect(harness.port, '127.0.0.1');
    socket.write(
      'POST /clusters/test/api/v1/namespaces/dev/pods HTTP/1.1\r\nHost: g\r\nConnection: Upgrade\r\nUpgrade: x\r\n' +
        `Authorization: Bearer ${AGENT_TOKEN}\r\nContent-Length: 2\r\n\r\n{}`,
    );
    let received = '';
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString();
    });
    await once(socket, 'close');
    expect(received).toMatch(/^HTTP\/1\.1 400 Bad Request/);
    expect(harness.upstream.received).toEqual([]);
  });

  it('refuses an unauthenticated upgrade with a raw 401 Status', async () => {
    const harness = await start();
    const socket = connect(harness.port, '127.0.0.1');
    socket.write(
      'GET /clusters/test/api/v1/namespaces/dev/pods/web/exec HTTP/1.1\r\nHost: g\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n',
    );
    let received = '';
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString();
    });
    await once(socket, 'close');
    expect(received).toMatch(/^HTTP\/1\.1 401 Unauthorized/);
    expect(received).toContain('"reason":"Unauthorized"');
    expect(harness.upstream.received).toEqual([]);
  });
});

describe('what the policy judges is what the cluster gets', () => {
  it('sends tricky paths and chunked bodies upstream exactly as the policy saw them', async () => {
    const judged: { method: string; path: string; query: string; body: string }[] = [];
    const harness = await start({
      policy: {
        ...fakePolicy,
        parseAction(request) {
          judged.push({
            method: request.method,
            path: request.path,
            query: request.query,
            body: Buffer.from(request.body ?? []).toString(),
          });
          return fakePolicy.parseAction(request);
        },
      },
    });
    const targets = [
      '//api/v1/namespaces/a/pods',
      '/api/v1/namespaces/a/pods/../../b/pods',
      '/api/v1/namespaces/a/pods/%2E%2E/x',
      '/API/v1/namespaces/a/pods/',
      '/api/v1/namespaces/a/pods?verb=delete&x=%2F',
    ];
    // Raw bytes: an HTTP client library would normalise these paths before sending.
    for (const target of targets) {
      const socket = connect(harness.port, '127.0.0.1');
      socket.end(
        `GET /clusters/test${target} HTTP/1.1\r\nHost: g\r\nAuthorization: Bearer ${AGENT_TOKEN}\r\nConnection: close\r\n\r\n`,
      );
      socket.resume();
      await once(socket, 'close');
    }
    // A chunked body (no Content-Length) is read whole before the policy sees it.
    await request(`${harness.base}/clusters/test/api/v1/namespaces/a/pods`, {
      method: 'POST',
      headers: auth,
      body: Readable.from([Buffer.from('{"kind":'), Buffer.from('"Pod"}')]),
    }).then((response) => response.body.text());

    const sent = harness.upstream.received.map((r) => ({ method: r.method, url: r.url, body: r.body }));
    expect(sent).toEqual(
      judged.map((j) => ({
        method: j.method,
        url: `${j.path}${j.query ? `?${j.query}` : ''}`,
        body: j.body,
      })),
    );
    expect(judged.at(-1)?.body).toBe('{"kind":"Pod"}');
    expect(sent.map((s) => s.url).slice(0, targets.length)).toEqual(targets);
  });
});

describe('held upgrades', () => {
  it('cuts off a client that floods bytes while its upgrade waits', async () => {
    const harness = await start();
    const socket = connect(harness.port, '127.0.0.1');
    socket.on('error', () => undefined);
    socket.write(
      'GET /clusters/test/api/v1/namespaces/prod/pods/web/exec?command=sh HTTP/1.1\r\n' +
        `Host: g\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nAuthorization: Bearer ${AGENT_TOKEN}\r\n\r\n`,
    );
    await expect.poll(() => harness.approvals.all().length).toBe(1);
    socket.write(Buffer.alloc(128 * 1024));
    await once(socket, 'close');
    expect(harness.upstream.received).toEqual([]);
  });
});

describe('labels', () => {
  it('the policy decides with the labels looked up through the gateway own upstream, not the agent view of it', async () => {
    const decided: PolicyContext[] = [];
    const lookedUpWith: Record<string, string | string[]>[] = [];
    const labels: LabelsPort = {
      lookup: async (upstream) => {
        lookedUpWith.push(await upstream.authHeaders());
        return {
          namespaceLabels: { labels: { env: 'prod' } },
          namespaceObject: { metadata: { name: 'payments' } },
        };
      },
    };
    const harness = await start({
      labels,
      policy: {
        ...fakePolicy,
        decide: (context) => {
          decided.push(context);
          return fakePolicy.decide(context);
        },
      },
    });
    await call(harness, '/clusters/test/api/v1/namespaces/payments/pods');
    expect(decided).toHaveLength(1);
    expect(decided[0]).toMatchObject({
      namespaceLabels: { labels: { env: 'prod' } },
      namespaceObject: { metadata: { name: 'payments' } },
    });
    expect(lookedUpWith).toHaveLength(1);
    expect(lookedUpWith[0]).not.toHaveProperty('impersonate-user');
    // The request itself still went upstream as the agent.
    expect(harness.upstream.received[0]?.headers['impersonate-user']).toBeDefined();
  });
});
