import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTestCa } from '@gatehouse/testkit/ca';
import { type OidcIssuer, startOidcIssuer } from '@gatehouse/testkit/oidc-issuer';
import { SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../stack/index.js';
import { auditEvents, gatewayRequest, report } from './support.js';

/**
 * Agents without static secrets, through the running gateway: a local OIDC issuer over TLS (its
 * own CA, trusted only through the provider's caFile) signs identity tokens; the real kubectl
 * reads them from a tokenFile the test rotates. Every forged, stale or ambiguous token is counted,
 * and the audit, the gateway's log and all of Redis are searched for the tokens.
 */

const PODS = '/clusters/payments/api/v1/namespaces/payments-staging/pods';
const POD_SUB = 'system:serviceaccount:agents:pod';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Keys are fetched again on an unknown kid at most once a second, and trusted 8 s after a fetch. */
const COOLDOWN_MS = 1_000;
const MAX_STALE_MS = 8_000;

describe('security: identity tokens (OIDC)', () => {
  let issuer: OidcIssuer;
  let stranger: OidcIssuer;
  let stack: Stack;
  const seen: string[] = [];
  const sign = async (claims: Record<string, unknown>, lifetimeSeconds?: number) => {
    const token = await issuer.sign({ aud: 'gatehouse', sub: POD_SUB, ...claims }, { lifetimeSeconds });
    seen.push(token);
    return token;
  };
  const upstreamCount = () => stack.upstream.requests.length;
  const status = async (token: string) =>
    (await gatewayRequest(stack, { method: 'GET', path: PODS, token })).status;

  beforeAll(async () => {
    issuer = await startOidcIssuer({ ca: createTestCa('oidc-issuer-ca'), path: '/id/TESTCLUSTER' });
    stranger = await startOidcIssuer();
    const caFile = join(process.env.TMPDIR ?? '/tmp', `gatehouse-oidc-ca-${process.pid}.pem`);
    await writeFile(caFile, issuer.caPem);
    stack = await startStack({
      identityProviders: [
        {
          name: 'test-oidc',
          issuer: issuer.issuer,
          audiences: ['gatehouse'],
          caFile,
          keys: { refresh: '4s', cooldown: `${COOLDOWN_MS}ms`, maxStale: `${MAX_STALE_MS}ms` },
        },
      ],
      tokenFileAgents: [
        { id: 'agent-pod', match: { provider: 'test-oidc', claims: { sub: POD_SUB } } },
        // Both match system:serviceaccount:agents:twin: one token, two agents.
        {
          id: 'agent-twin',
          match: { provider: 'test-oidc', claims: { sub: 'system:serviceaccount:agents:twin' } },
        },
        {
          id: 'agent-tw-star',
          match: { provider: 'test-oidc', claims: { sub: 'system:serviceaccount:agents:tw*' } },
        },
      ],
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await issuer?.close();
    await stranger?.close();
  });

  it('the real kubectl passes with a rotating tokenFile, as the agent the token names', async () => {
    const tokenFile = stack.tokenFiles['agent-pod']!;
    await writeFile(tokenFile, await sign({}));
    const first = await stack.kubectlAs('agent-pod', ['get', 'pods', '-n', 'payments-staging']).result();
    expect(first.stderr).toBe('');
    expect(first.stdout).toContain('api-7d9f');

    // Rotation mid-run: a new signing key, the old one retired; the projected token is rewritten.
    const oldToken = seen.at(-1)!;
    await issuer.rotate({ retire: true });
    await sleep(COOLDOWN_MS + 200);
    await writeFile(tokenFile, await sign({}));
    const second = await stack.kubectlAs('agent-pod', ['get', 'pods', '-n', 'payments-staging']).result();
    expect(second.stderr).toBe('');
    expect(second.stdout).toContain('api-7d9f');
    // The gateway fetched the new set, which no longer holds the retired key.
    expect(await status(oldToken)).toBe(401);

    const asAgent = stack.upstream.requests.filter(
      (request) => request.headers['impersonate-user'] === 'gatehouse:agent:agent-pod',
    );
    expect(asAgent.length).toBeGreaterThanOrEqual(2);
    const received = (await auditEvents(stack)).filter(
      (event) => event.type === 'request.received' && event.agent === 'agent-pod',
    );
    expect(received.length).toBeGreaterThanOrEqual(2);
    expect(received[0]?.identity).toEqual({ method: 'oidc', provider: 'test-oidc', subject: POD_SUB });
    report(
      'oidc tokenFile rotation',
      2,
      2,
      'kubectl runs passed',
      `${received.length} requests as agent-pod`,
    );
  });

  it('forged, stale, foreign and ambiguous tokens: 0 admitted, nothing sent upstream', async () => {
    await status(await sign({})); // keys current
    const now = Math.floor(Date.now() / 1000);
    const pem = await issuer.publicKeyPem();
    const claims = { iss: issuer.issuer, sub: POD_SUB, aud: 'gatehouse', iat: now, exp: now + 600 };
    const valid = await sign({});
    const [head, body, signature] = valid.split('.') as [string, string, string];
    const garbageKid = Buffer.from(JSON.stringify({ alg: 'RS256', kid: 'no-such-key' })).toString(
      'base64url',
    );
    const tokens: Record<string, string> = {
      expired: await sign({ exp: now - 120 }),
      'not yet valid': await sign({ nbf: now + 300 }),
      'issued in the future': await sign({ iat: now + 300 }),
      'wrong audience': await sign({ aud: 'sts.amazonaws.com' }),
      'no audience': await sign({ aud: undefined }),
      'no expiry': await sign({ exp: undefined }),
      'wrong issuer': await stranger.sign({ sub: POD_SUB, aud: 'gatehouse' }),
      "our issuer, another's key": await stranger.sign({
        sub: POD_SUB,
        aud: 'gatehouse',
        iss: issuer.issuer,
      }),
      'alg none': new UnsecuredJWT(claims).encode(),
      'HS256 keyed with the public key': await new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256', kid: issuer.currentKid() })
        .sign(new TextEncoder().encode(pem)),
      'unknown kid': `${garbageKid}.${body}.${signature}`,
      'signature changed': `${head}.${body}.${signature.slice(0, -2)}${signature.endsWith('AA') ? 'BA' : 'AA'}`,
      'matches two agents': await sign({ sub: 'system:serviceaccount:agents:twin' }),
      'matches no agent': await sign({ sub: 'system:serviceaccount:agents:nobody' }),
    };
    seen.push(...Object.values(tokens));
    const before = upstreamCount();
    const answers: Record<string, number> = {};
    for (const [name, token] of Object.entries(tokens)) answers[name] = await status(token);
    const admitted = Object.entries(answers).filter(([, code]) => code !== 401);
    report(
      'oidc forged and stale tokens',
      admitted.length,
      Object.keys(answers).length,
      'admitted',
      admitted.map(([name, code]) => `${name}=${code}`).join(', '),
    );
    expect(admitted).toEqual([]);
    expect(upstreamCount()).toBe(before);
    expect(stack.gateway.output()).toContain('identity token matches several agents');
    // The valid token still passes: the refusals are the checks, not a broken gateway.
    expect(await status(valid)).toBe(200);
  });

  it('issuer down: cached keys within keys.maxStale, refused beyond it, admitted again once it is back', async () => {
    // An unknown kid makes the gateway fetch the keys now, so the bound starts from a known time.
    await issuer.rotate();
    await sleep(COOLDOWN_MS + 200);
    const token = await sign({}, 3600);
    expect(await status(token)).toBe(200);
    const fetchedAt = Date.now();
    await issuer.stop();
    const within = await status(token);
    await sleep(Math.max(0, fetchedAt + MAX_STALE_MS + 1_500 - Date.now()));
    const beyond = await gatewayRequest(stack, { method: 'GET', path: PODS, token });
    await issuer.start();
    await sleep(COOLDOWN_MS + 200);
    const back = await status(token);
    report(
      'oidc issuer down',
      beyond.status === 401 ? 0 : 1,
      1,
      'admitted beyond keys.maxStale',
      `within the bound ${within}, beyond ${beyond.status}, back up ${back}`,
    );
    expect([within, beyond.status, back]).toEqual([200, 401, 200]);
    expect(beyond.body).toContain('older than keys.maxStale');
  });

  it('no token reaches the audit, the gateway log or Redis (a held request included)', async () => {
    const token = await sign({});
    const held = await gatewayRequest(stack, {
      method: 'DELETE',
      path: `${PODS}/api-7d9f`,
      token,
      holdMs: 1_500,
    });
    expect(held.status).toBe(0);
    const redis = stack.redis.redis;
    const dump: string[] = [];
    for await (const keys of redis.scanStream({ match: `*${stack.redis.prefix}*`, count: 500 })) {
      for (const key of keys as string[]) {
        const type = await redis.type(key);
        if (type === 'string') dump.push((await redis.get(key)) ?? '');
        else if (type === 'hash') dump.push(JSON.stringify(await redis.hgetall(key)));
        else if (type === 'stream') dump.push(JSON.stringify(await redis.xrange(key, '-', '+')));
        else if (type === 'list') dump.push(JSON.stringify(await redis.lrange(key, 0, -1)));
        else if (type === 'set') dump.push(JSON.stringify(await redis.smembers(key)));
        else if (type === 'zset') dump.push(JSON.stringify(await redis.zrange(key, '0', '-1')));
      }
    }
    const places = { redis: dump.join('\n'), 'gateway log': stack.gateway.output() };
    const signatures = [...seen, token]
      .map((jwt) => jwt.split('.')[2])
      .filter((part) => part && part.length > 20);
    const leaks = Object.entries(places).flatMap(([place, text]) =>
      signatures.filter((part) => text.includes(part as string)).map(() => place),
    );
    report('oidc tokens stored or logged', leaks.length, signatures.length, 'found', leaks.join(', '));
    expect(leaks).toEqual([]);
    expect(dump.join('')).toContain(POD_SUB);
  });
});
