import aws4 from 'aws4';

export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string | undefined;
}

export interface EksTokenInput {
  readonly credentials: AwsCredentials;
  readonly region: string;
  /** The EKS cluster's name, signed as the `x-k8s-aws-id` header. */
  readonly clusterName: string;
  readonly signedAt: Date;
}

export interface EksToken {
  /** `k8s-aws-v1.` + the presigned URL in unpadded base64url. */
  readonly token: string;
  /** When clients should stop using it (ms since the epoch). */
  readonly expiresAt: number;
}

/**
 * EKS accepts a token for 15 minutes after X-Amz-Date, whatever X-Amz-Expires says; awscli and
 * aws-iam-authenticator report 14 so a token is never presented in its last minute.
 */
export const EKS_TOKEN_LIFETIME_MS = 14 * 60 * 1000;

/** 20260115T102030Z */
function amzDate(date: Date): string {
  return date.toISOString().replace(/[:-]|\.\d{3}/g, '');
}

/**
 * Mints an EKS bearer token: a presigned STS GetCallerIdentity URL with `x-k8s-aws-id` among the
 * signed headers, so the token is good for this one cluster. The host is the regional STS endpoint,
 * as awscli uses, and never a test endpoint: EKS itself calls this URL to learn who we are.
 */
export function presignEksToken(input: EksTokenInput): EksToken {
  const host = `sts.${input.region}.amazonaws.com`;
  const query = new URLSearchParams({
    Action: 'GetCallerIdentity',
    Version: '2011-06-15',
    'X-Amz-Expires': '60',
    // Given rather than read from the system clock, so an injected clock decides the signing time.
    'X-Amz-Date': amzDate(input.signedAt),
  });
  const signed = aws4.sign(
    {
      host,
      path: `/?${query}`,
      method: 'GET',
      service: 'sts',
      region: input.region,
      signQuery: true,
      headers: { 'x-k8s-aws-id': input.clusterName },
    },
    input.credentials,
  );
  const url = `https://${host}${signed.path}`;
  return {
    token: `k8s-aws-v1.${Buffer.from(url).toString('base64url')}`,
    expiresAt: input.signedAt.getTime() + EKS_TOKEN_LIFETIME_MS,
  };
}
