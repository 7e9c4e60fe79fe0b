import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { writeKubeconfig } from '@gatehouse/testkit/ca';
import { deployment, type KubeUpstream, startKubeUpstream } from '@gatehouse/testkit/kube-upstream';
import { waitUntil } from '@gatehouse/testkit/processes';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../stack/index.js';
import { type KeepAliveUpstream, startKeepAliveUpstream } from './keepalive-upstream.js';
import {
  auditEvents,
  type GatewayRequest,
  gatewayRequest,
  isRealMutation,
  rawExchange,
  report,
  webDeploymentManifest,
} from './support.js';

/**
 * Walking around the gate with the agent's own token: header, path, method, framing and
 * encoding tricks, every patch type that can scale to zero, bytes smuggled behind an upgrade,
 * and a fuzzer — all against the running gateway process. The proof is what the clusters'
 * stand-ins received: no mutating request may arrive ungated.
 */

const FUZZ_TOKEN = `fuzz-${randomBytes(8).toString('hex')}`;
const KEEPALIVE_TOKEN = `keepalive-${randomBytes(8).toString('hex')}`;
const HOLD_MS = 1500;
/** What a gated namespace delete and a gated scale-to-zero address. */
const NS = '/api/v1/namespaces/payments-staging';
const WEB = '/apis/apps/v1/namespaces/default/deployments/web';
const EXEC = '/api/v1/namespaces/payments-staging/pods/api-7d9f/exec';

describe('security: bypass attempts through the running gateway', () => {
  let stack: Stack;
  let fuzzUpstream: KubeUpstream;
  let keepAlive: KeepAliveUpstream;
  const mutationsReceived = () => stack.upstream.requests.filter(isRealMutation);
  const send = (req: GatewayRequest) => gatewayRequest(stack, { holdMs: HOLD_MS, ...req });

  beforeAll(async () => {
    fuzzUpstream = await startKubeUpstream({ auth: { bearerToken: FUZZ_TOKEN } });
    keepAlive = await startKeepAliveUpstream();
    const fuzzKubeconfig = writeKubeconfig({
      server: fuzzUpstream.url,
      caPem: fuzzUpstream.caPem!,
      credentials: { token: FUZZ_TOKEN },
      name: 'fuzz',
    });
    const keepAliveKubeconfig = writeKubeconfig({
      server: keepAlive.url,
      caPem: keepAlive.caPem,
      credentials: { token: KEEPALIVE_TOKEN },
      name: 'keepalive',
    });
    stack = await startStack({
      extraClusters: [
        { name: 'fuzz', type: 'kubeconfig', kubeconfig: fuzzKubeconfig.path },
        { name: 'keepalive', type: 'kubeconfig', kubeconfig: keepAliveKubeconfig.path },
      ],
      policy: {
        default: 'allow',
        rules: [
          {
            name: 'namespace-delete',
            match: { verbs: ['delete', 'deletecollection'], resources: ['namespaces'] },
            require: { group: 'sre-oncall', approvals: 1 },
          },
          {
            name: 'payments-delete-or-exec',
            match: { verbs: ['delete', 'deletecollection', 'exec', 'attach'], namespaces: ['payments-*'] },
            require: { group: 'sre-oncall', approvals: 1 },
          },
          { name: 'scale-to-zero', match: { scaleToZero: true }, require: { group: 'sre-oncall' } },
          // The equivalents SECURITY.md recommends: the kubelet's exec through nodes/proxy, proxying
          // into pods and services, debug containers and evictions (a pod delete by another verb).
          { name: 'proxy-anywhere', match: { verbs: ['proxy'] }, require: { group: 'sre-oncall' } },
          {
            name: 'payments-debug-or-evict',
            match: { subresources: ['ephemeralcontainers', 'eviction'], namespaces: ['payments-*'] },
            require: { group: 'sre-oncall' },
          },
          {
            name: 'fuzz-cluster-is-read-only',
            match: {
              clusters: ['fuzz'],
              verbs: [
                'create',
                'update',
                'patch',
                'delete',
                'deletecollection',
                'exec',
                'attach',
                'portforward',
                'proxy',
              ],
            },
            deny: { reason: 'the fuzz target only reads' },
          },
        ],
      },
    });
    stack.upstream.store.put(deployment({ name: 'web', namespace: 'default' }, 3));
  });
  afterAll(async () => {
    await stack?.stop();
    await fuzzUpstream?.close();
    await keepAlive?.close();
  });

  it('impersonation and front-proxy identity headers never reach the cluster', async () => {
    const forbidden = {
      'Impersonate-User': 'system:admin',
      'Impersonate-Group': 'system:masters',
      'Impersonate-Uid': '0',
      'Impersonate-Extra-Scopes': 'all',
      'X-Remote-User': 'system:admin',
      'X-Remote-Group': 'system:masters',
      'X-Remote-Uid': '0',
      'X-Remote-Extra-Scopes': 'all',
      // Front proxies (oauth2-proxy, OpenShift's oauth-proxy) and the underscore spellings some hops fold into '-'.
      'X-Forwarded-User': 'system:admin',
      'X-Forwarded-Groups': 'system:masters',
      'X-Forwarded-Email': 'root@example.com',
      'X-Auth-Request-User': 'system:admin',
      Impersonate_User: 'system:admin',
      Impersonate_Group: 'system:masters',
      X_Remote_User: 'system:admin',
      X_Forwarded_User: 'system:admin',
    };
    const before = stack.upstream.requests.length;
    const token = stack.agentTokens['agent-oncall']!;
    // An allowed exec upgrade carries them too (to the keep-alive stand-in, so no mutation is counted
    // here): the raw-socket path strips as the HTTP one does.
    const upgradesBefore = keepAlive.requests.length;
    const upgradeHead =
      'GET /clusters/keepalive/api/v1/namespaces/dev/pods/x/exec?command=id&stdout=true HTTP/1.1\r\n' +
      `Host: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
      'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n' +
      'Sec-WebSocket-Protocol: v5.channel.k8s.io\r\n' +
      Object.entries(forbidden)
        .map(([name, value]) => `${name}: ${value}\r\n`)
        .join('') +
      '\r\n';
    await rawExchange(stack, [upgradeHead], 1500);
    const attempts = [
      send({
        method: 'GET',
        path: '/clusters/payments/api/v1/namespaces/payments-staging/pods',
        headers: forbidden,
      }),
      send({ method: 'GET', path: '/clusters/payments/api/v1/namespaces', headers: forbidden }),
      send({ method: 'DELETE', path: `/clusters/payments${NS}`, headers: forbidden }),
    ];
    const answers = await Promise.all(attempts);
    const seen = stack.upstream.requests.slice(before);
    // The gateway impersonates the agent itself (README, Scoping agents); none of the client's values
    // may pass, and it never sends a uid or extras of its own.
    const chosen = new Set(Object.values(forbidden));
    const upgraded = keepAlive.requests.slice(upgradesBefore);
    const carried = [
      ...seen.map((r) => Object.entries(r.headersDistinct)),
      ...upgraded.map((r) =>
        Object.entries(r.headers).map(([name, value]) => [name, [String(value)]] as const),
      ),
    ];
    const leaked = carried.filter((headers) =>
      headers.some(([name, values]) => {
        const h = name.replaceAll('_', '-');
        return (
          h.startsWith('x-remote-') ||
          h.startsWith('x-forwarded-user') ||
          h.startsWith('x-forwarded-group') ||
          h === 'x-forwarded-email' ||
          h.startsWith('x-auth-request-') ||
          h === 'impersonate-uid' ||
          h.startsWith('impersonate-extra-') ||
          name !== h ||
          (h.startsWith('impersonate-') && (values ?? []).some((value) => chosen.has(value)))
        );
      }),
    );
    report(
      'impersonation headers',
      leaked.length,
      carried.length,
      'upstream requests carried them',
      `${Object.keys(forbidden).length} headers, ${upgraded.length} exec upgrade`,
    );
    expect(upgraded.length).toBe(1);
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(leaked).toEqual([]);
    // The delete stayed gated despite claiming system:masters.
    expect(answers[2]!.status).toBe(0);
    expect(mutationsReceived()).toEqual([]);
  });

  it('path, method, framing and encoding tricks: none reaches the cluster ungated', async () => {
    const logBefore = stack.gateway.output().split('treated as mutating').length - 1;
    const tricks: { name: string; req: GatewayRequest }[] = [];
    const add = (name: string, method: string, path: string, extra: Partial<GatewayRequest> = {}) =>
      tricks.push({ name, req: { method, path: `/clusters/payments${path}`, ...extra } });
    add('double slash', 'DELETE', `/${NS}`);
    add('double slash inside', 'DELETE', NS.replace('/v1/', '//v1/'));
    add('encoded slash', 'DELETE', '/api/v1/namespaces%2Fpayments-staging');
    add('encoded dash', 'DELETE', '/api/v1/namespaces/payments%2Dstaging');
    add('dot dot', 'DELETE', '/api/v1/namespaces/x/../payments-staging');
    add('dot', 'DELETE', '/api/v1/namespaces/./payments-staging');
    add('encoded dot dot', 'DELETE', '/api/v1/namespaces/x/%2e%2e/payments-staging');
    add('upper case', 'DELETE', NS.toUpperCase());
    add('mixed case', 'DELETE', '/api/V1/namespaces/payments-staging');
    add('trailing slash', 'DELETE', `${NS}/`);
    add('trailing slashes', 'DELETE', `${NS}//`);
    add('semicolon', 'DELETE', `${NS};x=y`);
    add('backslash', 'DELETE', `${NS}\\`);
    add('exec', 'POST', `${EXEC}?command=sh`);
    add('exec/', 'POST', `${EXEC}/?command=sh`);
    add('exec/x', 'POST', `${EXEC}/x?command=sh`);
    add('exec GET', 'GET', `${EXEC}?command=sh`);
    add('exec upper', 'POST', `${EXEC.replace('exec', 'EXEC')}?command=sh`);
    add(
      'kubelet exec via nodes/proxy',
      'POST',
      '/api/v1/nodes/node-1/proxy/exec/payments-staging/api-7d9f/app',
      {
        body: '',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      },
    );
    add('pod proxy', 'GET', '/api/v1/namespaces/payments-staging/pods/api-7d9f/proxy/admin/shutdown');
    add('eviction', 'POST', '/api/v1/namespaces/payments-staging/pods/api-7d9f/eviction', {
      body: JSON.stringify({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'api-7d9f' } }),
      headers: { 'content-type': 'application/json' },
    });
    add('debug container', 'PATCH', '/api/v1/namespaces/payments-staging/pods/api-7d9f/ephemeralcontainers', {
      body: JSON.stringify({
        spec: { ephemeralContainers: [{ name: 'dbg', image: 'busybox', command: ['sh', '-c', 'id'] }] },
      }),
      headers: { 'content-type': 'application/strategic-merge-patch+json' },
    });
    add('query verb', 'GET', `${NS}?verb=delete&_method=DELETE&method=DELETE`);
    add('query dryRun beside body', 'DELETE', `${NS}?dryRun=All`, {
      body: '{"kind":"DeleteOptions","apiVersion":"v1"}',
      headers: { 'content-type': 'application/json' },
    });
    add('override POST->DELETE', 'POST', NS, { headers: { 'X-HTTP-Method-Override': 'DELETE' } });
    add('override GET->DELETE', 'GET', NS, { headers: { 'X-HTTP-Method-Override': 'DELETE' } });
    add('override X-HTTP-Method', 'GET', NS, { headers: { 'X-HTTP-Method': 'DELETE' } });
    add('override X-Method-Override', 'GET', NS, { headers: { 'X-Method-Override': 'DELETE' } });
    add('OPTIONS', 'OPTIONS', NS);
    add('PROPFIND', 'PROPFIND', NS);
    add('upgrade on delete', 'DELETE', NS, { headers: { Connection: 'Upgrade', Upgrade: 'websocket' } });
    const zero = JSON.stringify({ spec: { replicas: 0 } });
    const merge = { 'content-type': 'application/merge-patch+json' };
    add('chunked scale to zero', 'PATCH', WEB, {
      body: zero,
      headers: { ...merge, 'transfer-encoding': 'chunked' },
    });
    add('gzip scale to zero', 'PATCH', WEB, {
      body: gzipSync(zero),
      headers: { ...merge, 'content-encoding': 'gzip' },
    });
    add('gzip beside identity', 'PATCH', WEB, {
      body: gzipSync(zero),
      headers: { ...merge, 'content-encoding': ['identity', 'gzip'] },
    });
    add('oversize scale to zero', 'PATCH', WEB, {
      body: `{"spec":{"replicas":0},"pad":"${'x'.repeat(4 * 1024 * 1024)}"}`,
      headers: merge,
    });
    add('oversize chunked scale to zero', 'PATCH', WEB, {
      body: `{"spec":{"replicas":0},"pad":"${'x'.repeat(4 * 1024 * 1024)}"}`,
      headers: { ...merge, 'transfer-encoding': 'chunked' },
    });
    add('protobuf scale', 'PATCH', WEB, {
      body: Buffer.from([0x6b, 0x38, 0x73, 0x00, 0x0a]),
      headers: { 'content-type': 'application/vnd.kubernetes.protobuf' },
    });
    add('PUT on scale', 'PUT', `${WEB}/scale`, {
      body: JSON.stringify({
        kind: 'Scale',
        apiVersion: 'autoscaling/v1',
        metadata: { name: 'web', namespace: 'default' },
        spec: { replicas: 0 },
      }),
      headers: { 'content-type': 'application/json' },
    });
    add('json patch on scale', 'PATCH', `${WEB}/scale`, {
      body: JSON.stringify([{ op: 'replace', path: '/spec/replicas', value: 0 }]),
      headers: { 'content-type': 'application/json-patch+json' },
    });
    add('json patch undoing itself', 'PATCH', WEB, {
      body: JSON.stringify([
        { op: 'replace', path: '/spec/replicas', value: 2 },
        { op: 'replace', path: '/spec', value: { replicas: 0 } },
      ]),
      headers: { 'content-type': 'application/json-patch+json' },
    });
    add('apply json', 'PATCH', `${WEB}?fieldManager=x`, {
      body: JSON.stringify({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web' },
        spec: { replicas: 0 },
      }),
      headers: { 'content-type': 'application/apply-patch+yaml' },
    });
    add('apply yaml, duplicate key', 'PATCH', `${WEB}?fieldManager=x`, {
      body: 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 3\n  replicas: 0\n',
      headers: { 'content-type': 'application/apply-patch+yaml' },
    });
    add('replicas as yaml octal', 'PATCH', `${WEB}?fieldManager=x`, {
      body: 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {replicas: 0o0}\n',
      headers: { 'content-type': 'application/apply-patch+yaml' },
    });
    add('strategic with two content types', 'PATCH', WEB, {
      body: zero,
      headers: { 'content-type': ['application/strategic-merge-patch+json', 'application/json'] },
    });

    // A connection the gateway cut (413 before the body was read) is a refusal too: status -1.
    const answers = await Promise.all(
      tricks.map(async (t) => ({
        name: t.name,
        ...(await send(t.req).catch(() => ({ status: -1, body: 'connection closed' }))),
      })),
    );
    const passed = answers.filter((a) => a.status >= 200 && a.status < 300);
    const held = answers.filter((a) => a.status === 0).length;
    const mutations = mutationsReceived();
    const outcomes = answers.map((a) => `${a.name}=${a.status === 0 ? 'held' : a.status}`).join(', ');
    report(
      'bypass tricks',
      mutations.length,
      tricks.length,
      'reached the cluster ungated',
      `${held} held; ${outcomes}`,
    );
    expect(mutations).toEqual([]);
    // A 2xx here could only come from the cluster (a held request answers nothing within HOLD_MS).
    expect(passed.filter((a) => a.name !== 'query verb')).toEqual([]);
    // Fail closed and logged: every request the parser could not classify was refused or held, and warned about.
    const unclassified = (await auditEvents(stack)).filter(
      (e) => e.type === 'request.received' && (e.action as { kind?: string }).kind === 'unclassified',
    );
    const logged = stack.gateway.output().split('treated as mutating').length - 1 - logBefore;
    report('unclassified requests', logged, unclassified.length, 'logged as mutating', 'none allowed');
    expect(unclassified.length).toBeGreaterThanOrEqual(15);
    expect(logged).toBe(unclassified.length);
    expect(unclassified.filter((e) => (e.decision as { effect?: string }).effect === 'allow')).toEqual([]);
  });

  it('a scale to zero through kubectl with each patch type: held, never sent', async () => {
    const file = join(stack.configPath, '..', 'web-zero.json');
    await writeFile(file, webDeploymentManifest(0));
    const commands = [
      ['scale', 'deployment/web', '--replicas=0'],
      ['patch', 'deployment', 'web', '--type=merge', '-p', '{"spec":{"replicas":0}}'],
      ['patch', 'deployment', 'web', '--type=strategic', '-p', '{"spec":{"replicas":0}}'],
      [
        'patch',
        'deployment',
        'web',
        '--type=json',
        '-p',
        '[{"op":"replace","path":"/spec/replicas","value":0}]',
      ],
      ['patch', 'deployment', 'web', '--subresource=scale', '--type=merge', '-p', '{"spec":{"replicas":0}}'],
      ['apply', '--server-side', '--force-conflicts', '-f', file],
      ['apply', '-f', file],
      ['replace', '-f', file],
    ];
    const heldNow = async () => {
      const metrics = await gatewayRequest(stack, { method: 'GET', path: '/metrics', token: undefined });
      return Number(/^gatehouse_gateway_held_requests (\d+)/m.exec(metrics.body)?.[1] ?? Number.NaN);
    };
    const before = await heldNow();
    const running = commands.map((args) => stack.kubectl([...args, '-n', 'default']));
    await waitUntil('every kubectl held', async () => (await heldNow()) >= before + commands.length, 30_000);
    const stillHeld = running.filter((k) => k.running()).length;
    for (const k of running) k.kill();
    const sent = stack.upstream.requests.filter(
      (r) => r.path.startsWith(WEB) && !['GET', 'HEAD'].includes(r.method),
    );
    report(
      'scale to zero per patch type',
      sent.length,
      commands.length,
      'reached the cluster',
      `${stillHeld} held`,
    );
    expect(stillHeld).toBe(commands.length);
    expect(sent).toEqual([]);
    expect(stack.upstream.store.find('deployments.apps', 'default', 'web')?.spec).toMatchObject({
      replicas: 3,
    });
  });

  it('bytes smuggled behind an allowed upgrade never reach the cluster as a request', async () => {
    const token = stack.agentTokens['agent-oncall']!;
    const smuggled = `DELETE ${NS} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n`;
    const upgradeHead = (method: string, extra: string) =>
      `${method} /clusters/keepalive/api/v1/namespaces/dev/pods/x/exec?command=sh&stdout=true HTTP/1.1\r\n` +
      `Host: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nConnection: Upgrade\r\n${extra}\r\n`;
    const websocket =
      'Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n' +
      'Sec-WebSocket-Protocol: v5.channel.k8s.io\r\n';
    const spdy = 'Upgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n';
    const attempts: (readonly string[])[] = [
      // Pipelined right behind the upgrade request.
      [`${upgradeHead('GET', websocket)}${smuggled}`],
      // Sent after the cluster refused the upgrade, on the same connection.
      [upgradeHead('GET', websocket), smuggled],
      // Declared as the upgrade request's body.
      [`${upgradeHead('POST', `${spdy}Content-Length: ${smuggled.length}\r\n`)}${smuggled}`],
      [upgradeHead('POST', spdy), smuggled],
    ];
    for (const parts of attempts) await rawExchange(stack, parts, 1500);
    const upgrades = keepAlive.requests.filter((r) => r.path.includes('/exec')).length;
    const reached = keepAlive.requests.filter((r) => r.method === 'DELETE');
    report(
      'smuggled behind an upgrade',
      reached.length,
      attempts.length,
      'reached the cluster',
      `${upgrades} upgrade requests forwarded`,
    );
    expect(upgrades).toBeGreaterThan(0);
    expect(reached).toEqual([]);
  });

  it('fuzz: random methods, paths, headers and bodies never get a mutation past a read-only policy', async () => {
    const segment = fc.oneof(
      fc.constantFrom(
        'api',
        'apis',
        'v1',
        'apps',
        'namespaces',
        'default',
        'pods',
        'deployments',
        'web',
        'api-7d9f',
        'watch',
        'proxy',
        'exec',
        'attach',
        'portforward',
        'scale',
        'status',
        'log',
        'eviction',
        'EXEC',
        '',
        '.',
        '..',
        '%2F',
        '%2e%2e',
        '%2f..',
        '%00',
        '%',
        '%zz',
        'a;b',
        '%3F',
        'version',
        'openapi',
        'healthz',
      ),
      fc.stringMatching(/^[A-Za-z0-9._~%;:@!$&'()*+,=-]{0,8}$/),
    );
    const request = fc.record({
      method: fc.constantFrom(
        'GET',
        'HEAD',
        'POST',
        'PUT',
        'PATCH',
        'DELETE',
        'OPTIONS',
        'PROPFIND',
        'get',
        'MOVE',
      ),
      path: fc.oneof(
        fc.array(segment, { minLength: 1, maxLength: 8 }).map((s) => `/${s.join('/')}`),
        fc
          .tuple(
            fc.constantFrom('/api/v1', '/apis/apps/v1', '/apis/batch/v1', '/api/v1/watch'),
            fc.constantFrom('', '/namespaces/default', '/namespaces/prod-x', '/namespaces/default/'),
            fc.constantFrom(
              '/pods',
              '/deployments',
              '/configmaps',
              '/namespaces',
              '/secrets',
              '/jobs',
              '/nodes',
            ),
            fc.constantFrom('', '/web', '/api-7d9f', '/web/'),
            fc.constantFrom(
              '',
              '/exec',
              '/scale',
              '/status',
              '/log',
              '/proxy',
              '/proxy/x',
              '/attach',
              '/portforward',
              '/eviction',
              segment.map((x) => `/${x}`),
            ),
          )
          .map((parts) => parts.join('')),
      ),
      query: fc.constantFrom(
        '',
        '?watch=true',
        '?dryRun=All',
        '?command=sh&stdin=true',
        '?fieldSelector=metadata.name%3Dweb',
        '?verb=get',
      ),
      headers: fc.dictionary(
        fc.constantFrom(
          'content-type',
          'x-http-method-override',
          'content-encoding',
          'upgrade',
          'connection',
          'transfer-encoding',
        ),
        fc.constantFrom(
          'application/json-patch+json',
          'application/merge-patch+json',
          'application/apply-patch+yaml',
          'application/strategic-merge-patch+json',
          'gzip',
          'websocket',
          'Upgrade',
          'DELETE',
          'chunked',
          'identity',
        ),
        { maxKeys: 2 },
      ),
      body: fc.option(
        fc.oneof(
          fc.json(),
          fc.constant('{"spec":{"replicas":0}}'),
          fc.constant('[{"op":"remove","path":"/spec"}]'),
        ),
        { nil: undefined },
      ),
    });
    const runs = 400;
    const samples = fc.sample(request, { numRuns: runs, seed: 7 });
    const token = stack.agentTokens['agent-oncall']!;
    let sent = 0;
    let refused = 0;
    const statuses = new Map<number, number>();
    const queue = [...samples];
    const worker = async () => {
      for (let sample = queue.shift(); sample; sample = queue.shift()) {
        const headers = { ...sample.headers };
        // Node's client frames bodies itself; a chunked claim without a body would hang the request.
        if (sample.body === undefined) delete headers['transfer-encoding'];
        try {
          const answer = await gatewayRequest(stack, {
            method: sample.method,
            path: `/clusters/fuzz${sample.path}${sample.query}`,
            headers,
            body: sample.body,
            token,
            holdMs: 5000,
          });
          sent++;
          statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        } catch {
          // The client or the gateway's HTTP parser refused to frame it; nothing was judged.
          refused++;
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    const unauthorised = fuzzUpstream.requests.filter(isRealMutation);
    const breakdown = [...statuses.entries()]
      .sort(([a], [b]) => a - b)
      .map(([s, n]) => `${s}:${n}`)
      .join(' ');
    report(
      'gateway fuzz',
      unauthorised.length,
      sent,
      'unauthorised mutations reached the cluster',
      `${runs} generated, ${refused} not framable, ${fuzzUpstream.requests.length} reads passed; statuses ${breakdown}`,
    );
    expect(sent).toBeGreaterThan(runs / 2);
    expect(unauthorised).toEqual([]);
    expect(mutationsReceived()).toEqual([]);
  });
});
