import { readFileSync } from 'node:fs';
import { decodeEksToken, verifyEksTokenSignature } from '@gatehouse/testkit/sts';
import { describe, expect, it } from 'vitest';
import { type AwsCredentials, presignEksToken } from './token.js';

/** Tokens minted by Debian's awscli for fixed inputs; fixtures/regenerate.sh is the recipe. */
interface AwscliCase {
  name: string;
  input: {
    region: string;
    clusterName: string;
    time: string;
    credentials: AwsCredentials & { secretAccessKey: string };
  };
  awscli: { status: { token: string; expirationTimestamp: string } };
}
const fixture = JSON.parse(
  readFileSync(new URL('./fixtures/awscli-get-token.json', import.meta.url), 'utf8'),
) as {
  cases: AwscliCase[];
};

function ours(input: AwscliCase['input'], overrides: { clusterName?: string; signedAt?: Date } = {}) {
  return presignEksToken({
    credentials: input.credentials,
    region: input.region,
    clusterName: overrides.clusterName ?? input.clusterName,
    signedAt: overrides.signedAt ?? new Date(input.time),
  });
}

describe('presignEksToken agrees with awscli (aws eks get-token)', () => {
  it('has fixture cases to compare against', () => {
    expect(fixture.cases.map((c) => c.name)).toEqual(['assumed-role-eu-west-1', 'static-keys-us-east-1']);
  });

  it.each(fixture.cases)(
    '$name: same URL, same signed query parameters, same signature',
    ({ input, awscli }) => {
      const theirs = decodeEksToken(awscli.status.token);
      const mine = decodeEksToken(ours(input).token);

      expect(mine.url.origin + mine.url.pathname).toBe(theirs.url.origin + theirs.url.pathname);
      expect(mine.params).toEqual(theirs.params);
      expect(mine.signature).toBe(theirs.signature);
    },
  );

  it.each(fixture.cases)('$name: same expiry as awscli reports', ({ input, awscli }) => {
    expect(new Date(ours(input).expiresAt).toISOString()).toBe(
      new Date(awscli.status.expirationTimestamp).toISOString(),
    );
  });

  it.each(fixture.cases)('$name: the signature covers the time and the cluster name', ({ input, awscli }) => {
    const theirs = decodeEksToken(awscli.status.token).signature;
    const aSecondLater = new Date(Date.parse(input.time) + 1000);
    expect(decodeEksToken(ours(input, { signedAt: aSecondLater }).token).signature).not.toBe(theirs);
    const otherCluster = ours(input, { clusterName: `${input.clusterName}-other` }).token;
    expect(decodeEksToken(otherCluster).signature).not.toBe(theirs);
    const { secretAccessKey } = input.credentials;
    expect(verifyEksTokenSignature(otherCluster, { secretAccessKey, clusterName: input.clusterName })).toBe(
      false,
    );
  });
});
