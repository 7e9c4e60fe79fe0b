import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:tls';
import type { EksClusterConfig } from '@gatehouse/config';
import { createTestCa, issueServerCert, type TestCa } from '@gatehouse/testkit/ca';
import { decodeEksToken, type FakeSts, startFakeSts } from '@gatehouse/testkit/sts';
import { request } from 'undici';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UpstreamErrorCode } from '../errors.js';
import type { ClusterUpstream } from '../types.js';
import { createEksUpstream } from './index.js';

const MINUTE = 60_000;
const ROLE_ARN = 'arn:aws:iam::123456789012:role/gatehouse-eks';
const BASE_KEY_ID = 'AKIAGATEWAYBASE00001';

function manualClock(start: number) {
  let now = start;
  return {
    now: () => now,
    set: (ms: number) => {
      now = start + ms;
    },
  };
}

function eksCluster(overrides: Partial<EksClusterConfig> = {}): EksClusterConfig {
  return {
    name: 'prod',
    type: 'eks',
    server: 'https://127.0.0.1:1',
    region: 'eu-west-1',
    clusterName: 'gatehouse-prod-eks',
    roleArn: ROLE_ARN,
    caData: undefined,
    impersonate: true,
    ...overrides,
  };
}

const b64 = (text: string): string => Buffer.from(text).toString('base64');

describe('eks upstream credentials', () => {
  let sts: FakeSts;
  let clock: ReturnType<typeof manualClock>;
  let env: NodeJS.ProcessEnv;
  const opened: ClusterUpstream[] = [];

  async function open(cluster = eksCluster(), environment = env): Promise<ClusterUpstream> {
    const upstream = await createEksUpstream(cluster, { env: environment, clock });
    opened.push(upstream);
    return upstream;
  }

  async function bearer(upstream: ClusterUpstream): Promise<string> {
    const { authorization } = await upstream.authHeaders();
    expect(authorization).toMatch(/^Bearer k8s-aws-v1\.[A-Za-z0-9_-]+$/);
    return String(authorization ?? '').slice('Bearer '.length);
  }

  async function withSts(durationSeconds?: number): Promise<void> {
    clock = manualClock(Date.parse('2026-01-15T10:00:00Z'));
    sts = await startFakeSts({ clock, ...(durationSeconds !== undefined && { durationSeconds }) });
    env = {
      AWS_ENDPOINT_URL_STS: sts.url,
      AWS_ACCESS_KEY_ID: BASE_KEY_ID,
      AWS_SECRET_ACCESS_KEY: 'base-secret',
    };
  }

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((upstream) => upstream.close()));
    await sts.close();
  });

  describe('with one-hour credentials', () => {
    beforeEach(() => withSts());

    it('mints a token for the cluster from the assumed-role credentials', async () => {
      const token = await bearer(await open());

      expect(sts.calls).toEqual([
        expect.objectContaining({
          roleArn: ROLE_ARN,
          roleSessionName: 'gatehouse-prod',
          callerAccessKeyId: BASE_KEY_ID,
        }),
      ]);
      const decoded = decodeEksToken(token);
      expect(decoded.accessKeyId).toBe('ASIAFAKESTS000000001');
      expect(decoded.sessionToken).toBe('fake-sts-session-token-1');
      expect(decoded.signedHeaders).toContain('x-k8s-aws-id');
      // EKS calls this URL itself, so it is real STS even though the SDK talked to the fake.
      expect(decoded.url.host).toBe('sts.eu-west-1.amazonaws.com');
      expect(decoded.signedAt.getTime()).toBe(clock.now());
      expect(sts.credentialsForEksToken(token, 'gatehouse-prod-eks')?.accessKeyId).toBe(
        'ASIAFAKESTS000000001',
      );
      expect(sts.credentialsForEksToken(token, 'another-cluster')).toBeUndefined();
    });

    it('shares one AssumeRole and one token among concurrent callers', async () => {
      const upstream = await open();
      const tokens = await Promise.all([1, 2, 3, 4, 5].map(() => bearer(upstream)));

      expect(new Set(tokens).size).toBe(1);
      expect(sts.calls).toHaveLength(1);
    });

    it('re-signs the token a minute before its 14 minutes are up, reusing the credentials', async () => {
      const upstream = await open();
      const first = await bearer(upstream);

      clock.set(13 * MINUTE - 1);
      expect(await bearer(upstream)).toBe(first);
      clock.set(13 * MINUTE);
      const second = await bearer(upstream);

      expect(second).not.toBe(first);
      expect(decodeEksToken(second).signedAt.getTime()).toBe(clock.now());
      expect(decodeEksToken(second).accessKeyId).toBe('ASIAFAKESTS000000001');
      expect(sts.calls).toHaveLength(1);
    });

    it('assumes the role again before the credentials expire, and not earlier than needed', async () => {
      const upstream = await open();
      await bearer(upstream);

      clock.set(52 * MINUTE); // re-signed with the same credentials; good until a minute before they expire
      const late = await bearer(upstream);
      expect(decodeEksToken(late).accessKeyId).toBe('ASIAFAKESTS000000001');
      clock.set(59 * MINUTE - 1);
      expect(await bearer(upstream)).toBe(late);
      clock.set(59 * MINUTE);
      expect(decodeEksToken(await bearer(upstream)).accessKeyId).toBe('ASIAFAKESTS000000002');
      expect(sts.calls).toHaveLength(2);
    });

    it('takes the role from EKS_ROLE_ARN when the cluster names none', async () => {
      const fromEnv = 'arn:aws:iam::123456789012:role/from-env';
      await bearer(await open(eksCluster({ roleArn: '' }), { ...env, EKS_ROLE_ARN: fromEnv }));

      expect(sts.calls.map((call) => call.roleArn)).toEqual([fromEnv]);
    });

    it('refuses to start without any role ARN, before calling STS', async () => {
      await expect(open(eksCluster({ roleArn: '' }))).rejects.toMatchObject({
        code: UpstreamErrorCode.MissingRoleArn,
        cluster: 'prod',
      });
      expect(sts.calls).toHaveLength(0);
    });

    it('reports AccessDenied as a coded error and retries on the next call', async () => {
      const upstream = await open();
      sts.failWith({ code: 'AccessDenied', message: 'not authorized to perform: sts:AssumeRole' });

      const failure = upstream.authHeaders();
      await expect(failure).rejects.toMatchObject({ code: UpstreamErrorCode.AssumeRoleFailed });
      await expect(failure).rejects.toThrow(/AccessDenied/);

      sts.failWith(undefined);
      expect(decodeEksToken(await bearer(upstream)).accessKeyId).toBe('ASIAFAKESTS000000002');
    });
  });

  it('never presents a token past the expiry of the credentials that signed it', async () => {
    await withSts(8 * 60); // 8-minute credentials: they, not the token's 14 minutes, bound the token
    const upstream = await open();
    const first = await bearer(upstream);

    clock.set(7 * MINUTE - 1);
    expect(await bearer(upstream)).toBe(first);
    clock.set(7 * MINUTE);
    expect(decodeEksToken(await bearer(upstream)).accessKeyId).toBe('ASIAFAKESTS000000002');
  });
});

describe('eks upstream cluster CA', () => {
  let trusted: TestCa;
  let other: TestCa;
  let server: Server;
  let received: string[];
  let url: string;

  beforeAll(async () => {
    trusted = createTestCa('eks-cluster-ca');
    other = createTestCa('someone-elses-ca');
    const cert = issueServerCert(trusted);
    received = [];
    server = createServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
      received.push(`${req.method} ${req.url}`);
      res.end('{"kind":"APIVersions"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return () => new Promise<void>((resolve) => server.close(() => resolve()));
  });

  beforeEach(() => {
    received.length = 0;
  });

  const env = { EKS_ROLE_ARN: ROLE_ARN };

  it('talks to a server whose certificate the configured CA signed', async () => {
    const upstream = await createEksUpstream(eksCluster({ server: url, caData: b64(trusted.certPem) }), {
      env,
    });
    try {
      const res = await request(new URL('/api', upstream.url), { dispatcher: upstream.dispatcher });
      expect(res.statusCode).toBe(200);
      await res.body.text();
      expect(received).toEqual(['GET /api']);
    } finally {
      await upstream.close();
    }
  });

  it('refuses a server whose certificate another CA signed, over HTTP and raw TLS', async () => {
    const upstream = await createEksUpstream(eksCluster({ server: url, caData: b64(other.certPem) }), {
      env,
    });
    try {
      await expect(
        request(new URL('/api', upstream.url), { dispatcher: upstream.dispatcher }),
      ).rejects.toMatchObject({
        code: expect.stringMatching(/CERT|SIGNATURE|ISSUER/),
      });
      const raw = connect({ ...upstream.tlsOptions(), host: '127.0.0.1', port: Number(new URL(url).port) });
      const outcome = await new Promise<string>((resolve) => {
        raw.once('secureConnect', () => resolve('connected'));
        raw.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
      });
      raw.destroy();
      expect(outcome).not.toBe('connected');
      expect(received).toEqual([]);
    } finally {
      await upstream.close();
    }
  });

  it('refuses to start with a CA that cannot be read', async () => {
    await expect(
      createEksUpstream(eksCluster({ caData: b64('not a certificate') }), { env }),
    ).rejects.toMatchObject({
      code: UpstreamErrorCode.CaUnreadable,
    });
    await expect(
      createEksUpstream(eksCluster({ caFile: '/nonexistent/gatehouse-ca.pem' }), { env }),
    ).rejects.toMatchObject({
      code: UpstreamErrorCode.CaUnreadable,
      message: expect.stringContaining('caFile'),
    });
  });
});
