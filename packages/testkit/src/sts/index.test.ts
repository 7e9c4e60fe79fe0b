import { describe, expect, it } from 'vitest';
import { TestkitErrorCode } from '../errors.js';
import { decodeEksToken, startFakeSts, verifyEksTokenSignature } from './index.js';

// A token minted by Debian's awscli 2.9.19 (`aws eks get-token --cluster-name staging --region us-east-1`
// under faketime -f '2026-01-15 10:20:30' with these keys): a known-good vector from another implementation.
const AWSCLI_TOKEN =
  'k8s-aws-v1.aHR0cHM6Ly9zdHMudXMtZWFzdC0xLmFtYXpvbmF3cy5jb20vP0FjdGlvbj1HZXRDYWxsZXJJZGVudGl0eSZWZXJzaW9uPTIwMTEtMDYtMTUmWC1BbXotQWxnb3JpdGhtPUFXUzQtSE1BQy1TSEEyNTYmWC1BbXotQ3JlZGVudGlhbD1BS0lBR0FURUhPVVNFRklYVFVSRTIlMkYyMDI2MDExNSUyRnVzLWVhc3QtMSUyRnN0cyUyRmF3czRfcmVxdWVzdCZYLUFtei1EYXRlPTIwMjYwMTE1VDEwMjAzMFomWC1BbXotRXhwaXJlcz02MCZYLUFtei1TaWduZWRIZWFkZXJzPWhvc3QlM0J4LWs4cy1hd3MtaWQmWC1BbXotU2lnbmF0dXJlPTc2ODk1MzZiMzJmNzIxZDVhYjk2ZGFlOWZiNGZkYzJkZWFmMzcyMDE4MTkxZjgxZmFmZGNmNjlhNDZmN2YxNzE';
const AWSCLI_SECRET = 'anotherFixtureSecret/With+Slash';

describe('decodeEksToken', () => {
  it('reads the presigned URL and its signing key', () => {
    const decoded = decodeEksToken(`Bearer ${AWSCLI_TOKEN}`);
    expect(decoded.url.origin).toBe('https://sts.us-east-1.amazonaws.com');
    expect(decoded.params.Action).toBe('GetCallerIdentity');
    expect(decoded.accessKeyId).toBe('AKIAGATEHOUSEFIXTURE2');
    expect(decoded.region).toBe('us-east-1');
    expect(decoded.signedAt.toISOString()).toBe('2026-01-15T10:20:30.000Z');
    expect(decoded.signedHeaders).toEqual(['host', 'x-k8s-aws-id']);
    expect(decoded.sessionToken).toBeUndefined();
  });

  it('rejects what is not an EKS token', () => {
    expect(() => decodeEksToken('k8s-aws-v2.abc')).toThrow(
      expect.objectContaining({ code: TestkitErrorCode.EksTokenMalformed }),
    );
    expect(() => decodeEksToken('k8s-aws-v1.aGVsbG8=')).toThrow(
      expect.objectContaining({ code: TestkitErrorCode.EksTokenMalformed }),
    );
  });
});

describe('verifyEksTokenSignature', () => {
  it("accepts awscli's token for its secret and cluster", () => {
    expect(
      verifyEksTokenSignature(AWSCLI_TOKEN, { secretAccessKey: AWSCLI_SECRET, clusterName: 'staging' }),
    ).toBe(true);
  });

  it('refuses another cluster, another secret, or a tampered parameter', () => {
    expect(
      verifyEksTokenSignature(AWSCLI_TOKEN, { secretAccessKey: AWSCLI_SECRET, clusterName: 'prod' }),
    ).toBe(false);
    expect(verifyEksTokenSignature(AWSCLI_TOKEN, { secretAccessKey: 'wrong', clusterName: 'staging' })).toBe(
      false,
    );
    const url = decodeEksToken(AWSCLI_TOKEN).url;
    url.searchParams.set('X-Amz-Expires', '900');
    const tampered = `k8s-aws-v1.${Buffer.from(url.toString()).toString('base64url')}`;
    expect(
      verifyEksTokenSignature(tampered, { secretAccessKey: AWSCLI_SECRET, clusterName: 'staging' }),
    ).toBe(false);
  });
});

function assumeRoleForm(roleArn: string, session: string): RequestInit {
  return {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization:
        'AWS4-HMAC-SHA256 Credential=AKIABASE/20260115/eu-west-1/sts/aws4_request, SignedHeaders=host, Signature=00',
    },
    body: new URLSearchParams({
      Action: 'AssumeRole',
      Version: '2011-06-15',
      RoleArn: roleArn,
      RoleSessionName: session,
    }),
  };
}

describe('startFakeSts', () => {
  const roleArn = 'arn:aws:iam::123456789012:role/gatehouse-eks';

  it('answers AssumeRole with recognisable credentials and records the caller', async () => {
    const now = Date.parse('2026-01-15T10:00:00Z');
    const sts = await startFakeSts({ clock: { now: () => now } });
    try {
      const res = await fetch(sts.url, assumeRoleForm(roleArn, 'gatehouse-prod'));
      const xml = await res.text();
      expect(res.status).toBe(200);
      expect(xml).toContain('<AccessKeyId>ASIAFAKESTS000000001</AccessKeyId>');
      expect(xml).toContain('<Expiration>2026-01-15T11:00:00Z</Expiration>');
      expect(xml).toContain('<Arn>arn:aws:sts::123456789012:assumed-role/gatehouse-eks/gatehouse-prod</Arn>');
      expect(sts.calls).toEqual([
        expect.objectContaining({
          roleArn,
          roleSessionName: 'gatehouse-prod',
          callerAccessKeyId: 'AKIABASE',
        }),
      ]);
    } finally {
      await sts.close();
    }
  });

  it('answers with the configured error until cleared, issuing nothing', async () => {
    const sts = await startFakeSts();
    try {
      sts.failWith({ code: 'AccessDenied', message: 'not authorized to perform sts:AssumeRole' });
      const denied = await fetch(sts.url, assumeRoleForm(roleArn, 's'));
      expect(denied.status).toBe(403);
      expect(await denied.text()).toContain('<Code>AccessDenied</Code>');
      expect(sts.calls[0]?.issued).toBeUndefined();

      sts.failWith(undefined);
      expect((await fetch(sts.url, assumeRoleForm(roleArn, 's'))).status).toBe(200);
      expect(sts.calls[1]?.issued?.accessKeyId).toBe('ASIAFAKESTS000000002');
    } finally {
      await sts.close();
    }
  });

  it('refuses actions it does not implement', async () => {
    const sts = await startFakeSts();
    try {
      const res = await fetch(sts.url, {
        method: 'POST',
        body: new URLSearchParams({ Action: 'GetSessionToken' }),
      });
      expect(res.status).toBe(400);
      expect(sts.calls).toHaveLength(0);
    } finally {
      await sts.close();
    }
  });
});
