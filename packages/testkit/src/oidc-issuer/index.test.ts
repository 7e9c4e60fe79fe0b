import { createLocalJWKSet, jwtVerify } from 'jose';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OidcIssuer, startOidcIssuer } from './index.js';

describe('startOidcIssuer', () => {
  let issuer: OidcIssuer;
  let agent: Agent;
  const getJson = async (url: string) => {
    const answer = await request(url, { dispatcher: agent });
    return { status: answer.statusCode, body: (await answer.body.json()) as Record<string, unknown> };
  };
  beforeAll(async () => {
    issuer = await startOidcIssuer({ path: '/id/TESTCLUSTER' });
    agent = new Agent({ connect: { ca: issuer.caPem } });
  });
  afterAll(async () => {
    await agent.close();
    await issuer.close();
  });

  it('serves discovery and keys over TLS, and signs tokens those keys verify', async () => {
    const discovery = await getJson(`${issuer.issuer}/.well-known/openid-configuration`);
    expect(discovery).toEqual({
      status: 200,
      body: {
        issuer: issuer.issuer,
        jwks_uri: issuer.jwksUri,
        response_types_supported: ['id_token'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
      },
    });
    const jwks = await getJson(issuer.jwksUri);
    const token = await issuer.sign({ sub: 'system:serviceaccount:agents:oncall', aud: 'gatehouse' });
    const { payload } = await jwtVerify(token, createLocalJWKSet(jwks.body as never), {
      issuer: issuer.issuer,
      audience: 'gatehouse',
    });
    expect(payload.sub).toBe('system:serviceaccount:agents:oncall');
  });

  it('rotates keys (retiring the old ones) and can be stopped and started on the same port', async () => {
    const old = issuer.currentKid();
    const next = await issuer.rotate({ retire: true });
    expect(issuer.publishedKids()).toEqual([next]);
    const jwks = await getJson(issuer.jwksUri);
    expect((jwks.body.keys as { kid: string }[]).map((key) => key.kid)).toEqual([next]);
    expect(next).not.toBe(old);
    await issuer.stop();
    await expect(request(issuer.jwksUri, { dispatcher: agent })).rejects.toThrow(
      /ECONNREFUSED|other side closed|socket/,
    );
    await issuer.start();
    expect((await getJson(issuer.jwksUri)).status).toBe(200);
  });
});
