import { createHash, randomBytes } from 'node:crypto';
import { Agent } from 'node:https';
import { performance } from 'node:perf_hooks';
import { createTestCa, writeKubeconfig } from '@gatehouse/testkit/ca';
import { type KubeUpstream, startKubeUpstream } from '@gatehouse/testkit/kube-upstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_ID, type Stack, startStack } from '../stack/index.js';
import { gatewayRequest, rawExchange, report } from './support.js';

/**
 * Who the gateway admits, and whom it talks to: tokens that are missing, malformed, revoked or
 * probed for timing, and clusters whose certificate was not signed by the CA the config names.
 * The gateway runs as its own process (an EKS cluster stack, so both upstream kinds are tried).
 */

const PODS = '/api/v1/namespaces/payments-staging/pods';
const sha256 = (text: string) => createHash('sha256').update(text).digest();

describe('security: authentication and upstream TLS', () => {
  let stack: Stack;
  let token: string;
  /** A real cluster stand-in whose certificate the config's CA did not sign. */
  let impostor: KubeUpstream;
  const upstreamCount = () => stack.upstream.requests.length;

  beforeAll(async () => {
    impostor = await startKubeUpstream({ auth: { bearerToken: 'impostor-token' } });
    const otherCa = createTestCa('not-the-cluster-ca');
    const wrongCaKubeconfig = writeKubeconfig({
      server: impostor.url,
      caPem: otherCa.certPem,
      credentials: { token: 'impostor-token' },
      name: 'wrong-ca',
    });
    stack = await startStack({
      clusterType: 'eks',
      extraClusters: [
        { name: 'wrong-ca', type: 'kubeconfig', kubeconfig: wrongCaKubeconfig.path },
        {
          name: 'wrong-ca-eks',
          type: 'eks',
          server: impostor.url,
          region: 'eu-west-1',
          clusterName: 'impostor',
          roleArn: 'arn:aws:iam::123456789012:role/gatehouse-eks',
          caData: Buffer.from(otherCa.certPem).toString('base64'),
        },
      ],
    });
    token = stack.agentTokens[AGENT_ID]!;
  });
  afterAll(async () => {
    await stack?.stop();
    await impostor?.close();
  });

  it('missing and malformed tokens: 0 admitted, nothing sent upstream', async () => {
    const before = upstreamCount();
    const ok = await gatewayRequest(stack, { method: 'GET', path: `/clusters/payments${PODS}` });
    expect(ok.status).toBe(200);
    const afterOk = upstreamCount();
    const hash = createHash('sha256').update(token).digest('hex');
    const variants: Record<string, string | undefined> = {
      missing: undefined,
      'empty bearer': 'Bearer',
      'bearer space': 'Bearer ',
      'no scheme': token,
      basic: `Basic ${Buffer.from(`${AGENT_ID}:${token}`).toString('base64')}`,
      'other scheme': `Token ${token}`,
      'one char more': `Bearer ${token}x`,
      'one char less': `Bearer ${token.slice(0, -1)}`,
      'upper case': `Bearer ${token.toUpperCase()}`,
      'two tokens': `Bearer ${token} ${token}`,
      'the stored hash': `Bearer ${hash}`,
      'the hash, upper case': `Bearer ${hash.toUpperCase()}`,
      'url-encoded': `Bearer ${encodeURIComponent(`${token}=`)}`,
      'NUL suffix': `Bearer ${token}%00`,
      'comma list': `Bearer x, Bearer ${token}`,
    };
    const answers: Record<string, number> = {};
    for (const [name, authorization] of Object.entries(variants)) {
      const answer = await gatewayRequest(stack, {
        method: 'GET',
        path: `/clusters/payments${PODS}`,
        token: undefined,
        headers: authorization === undefined ? {} : { authorization },
      });
      answers[name] = answer.status;
    }
    // Two Authorization headers, the wrong one first: Node keeps the first, so the right one must not count.
    const doubled = await rawExchange(
      stack,
      [
        `GET /clusters/payments${PODS} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer wrong\r\n` +
          `Authorization: Bearer ${token}\r\nConnection: close\r\n\r\n`,
      ],
      1500,
    );
    answers['wrong then right header'] = Number(/^HTTP\/1\.1 (\d{3})/.exec(doubled)?.[1] ?? 0);
    // An upgrade (exec) with no token is refused before anything else.
    const exec = await rawExchange(
      stack,
      [
        `GET /clusters/payments/api/v1/namespaces/default/pods/x/exec?command=sh HTTP/1.1\r\nHost: x\r\n` +
          'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n' +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
      ],
      1500,
    );
    answers['upgrade without token'] = Number(/^HTTP\/1\.1 (\d{3})/.exec(exec)?.[1] ?? 0);

    const admitted = Object.entries(answers).filter(([, status]) => status !== 401);
    report(
      'malformed tokens',
      admitted.length,
      Object.keys(answers).length,
      'admitted',
      admitted.map(([n, s]) => `${n}=${s}`).join(', '),
    );
    expect(admitted).toEqual([]);
    expect(afterOk - before).toBe(1);
    expect(upstreamCount()).toBe(afterOk);
  });

  it('timing probe: report (not assert) mean answer times for near-miss tokens', async () => {
    const right = sha256(token);
    // Tokens whose SHA-256 starts like the right one: what a byte-by-byte comparison would leak.
    const nearHash = (bytes: number, count: number) => {
      const found: string[] = [];
      while (found.length < count) {
        const candidate = randomBytes(16).toString('base64url');
        if (sha256(candidate).subarray(0, bytes).equals(right.subarray(0, bytes))) found.push(candidate);
      }
      return found;
    };
    const groups: Record<string, string[]> = {
      random: Array.from({ length: 100 }, () => randomBytes(24).toString('base64url')),
      // The last character replaced by one it is not: the right token itself must never be a probe.
      'token prefix (all but 1 char)': Array.from({ length: 100 }, (_, i) => {
        const others = '0123456789'.replace(token.at(-1)!, '');
        return `${token.slice(0, -1)}${others[i % others.length]}`;
      }),
      'hash shares 1 byte': nearHash(1, 100),
      'hash shares 2 bytes': nearHash(2, 8),
    };
    const agent = new Agent({ keepAlive: true, maxSockets: 1, ca: stack.gatewayCaPem });
    const times: Record<string, number[]> = Object.fromEntries(Object.keys(groups).map((g) => [g, []]));
    const statuses = new Set<number>();
    // Interleaved, so drift over the run lands on every group alike.
    const longest = Math.max(...Object.values(groups).map((g) => g.length));
    for (let i = 0; i < longest; i++) {
      for (const [group, tokens] of Object.entries(groups)) {
        const candidate = tokens[i];
        if (candidate === undefined) continue;
        const started = performance.now();
        const answer = await gatewayRequest(stack, {
          method: 'GET',
          path: `/clusters/payments${PODS}`,
          token: candidate,
          agent,
        });
        times[group]!.push(performance.now() - started);
        statuses.add(answer.status);
      }
    }
    agent.destroy();
    const summary = Object.entries(times)
      .map(
        ([group, ms]) =>
          `${group} n=${ms.length} mean ${(ms.reduce((a, b) => a + b, 0) / ms.length).toFixed(3)} ms`,
      )
      .join('; ');
    report('timing probe', 0, Object.values(groups).flat().length, 'admitted', summary);
    // Timing is reported only; the constant-time comparison is proven in apps/gateway/src/auth/static-token.test.ts.
    expect([...statuses]).toEqual([401]);
  });

  it('TLS to a cluster with a certificate from another CA: refused, nothing received', async () => {
    const attempts = [
      gatewayRequest(stack, { method: 'GET', path: `/clusters/wrong-ca${PODS}` }),
      gatewayRequest(stack, { method: 'GET', path: `/clusters/wrong-ca-eks${PODS}` }),
      gatewayRequest(stack, { method: 'GET', path: '/clusters/wrong-ca/api' }),
    ];
    const answers = (await Promise.all(attempts)).map((a) => a.status);
    for (const cluster of ['wrong-ca', 'wrong-ca-eks']) {
      const exec = await rawExchange(
        stack,
        [
          `GET /clusters/${cluster}/api/v1/namespaces/default/pods/x/exec?command=sh HTTP/1.1\r\nHost: x\r\n` +
            `Authorization: Bearer ${token}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
            'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
        ],
        3000,
      );
      answers.push(Number(/^HTTP\/1\.1 (\d{3})/.exec(exec)?.[1] ?? 0));
    }
    const received = impostor.requests.length;
    report(
      'upstream TLS with a wrong CA',
      received,
      answers.length,
      'requests received by the impostor',
      `answers ${answers.join(' ')}`,
    );
    expect(answers).toEqual([503, 503, 503, 503, 503]);
    expect(received).toBe(0);
  });

  it('a revoked token (removed from the config, gateway restarted): 401', async () => {
    const before = await gatewayRequest(stack, { method: 'GET', path: `/clusters/payments${PODS}` });
    expect(before.status).toBe(200);
    const replacement = `gh_${randomBytes(24).toString('base64url')}`;
    await stack.updateConfig((config) => {
      const agents = config.agents as { id: string; tokenSha256: string }[];
      agents[0]!.tokenSha256 = createHash('sha256').update(replacement).digest('hex');
    });
    await stack.kill('gateway', { graceful: true });
    await stack.start('gateway');
    const count = upstreamCount();
    const tries = 5;
    const statuses: number[] = [];
    for (let i = 0; i < tries; i++) {
      statuses.push(
        (
          await gatewayRequest(stack, {
            method: i % 2 ? 'GET' : 'DELETE',
            path: `/clusters/payments${i % 2 ? PODS : '/api/v1/namespaces/payments-staging'}`,
          })
        ).status,
      );
    }
    const admitted = statuses.filter((s) => s !== 401).length;
    report('revoked token', admitted, tries, 'admitted after restart');
    expect(statuses).toEqual(Array(tries).fill(401));
    expect(upstreamCount()).toBe(count);
    // The new token works: the 401s are the revocation, not a broken gateway.
    expect(
      (await gatewayRequest(stack, { method: 'GET', path: `/clusters/payments${PODS}`, token: replacement }))
        .status,
    ).toBe(200);
  });
});
