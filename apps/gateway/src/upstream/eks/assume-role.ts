import { AssumeRoleCommand, STSClient, type STSClientConfig } from '@aws-sdk/client-sts';
import { AssumeRoleFailedError, CredentialsFailedError } from '../errors.js';
import type { AwsCredentials } from './token.js';

export interface AssumedRole {
  readonly credentials: AwsCredentials;
  /** When STS says the credentials stop working (ms since the epoch). */
  readonly expiresAt: number;
}

export interface RoleAssumer {
  assume(): Promise<AssumedRole>;
  close(): void;
}

/** STS caps session names at 64 characters of [\w+=,.@-]; cluster names are already in that set. */
function sessionName(cluster: string): string {
  return `gatehouse-${cluster}`.slice(0, 64);
}

/**
 * The SDK client for one cluster. The endpoint comes from AWS_ENDPOINT_URL_STS (or
 * AWS_ENDPOINT_URL) of the given env, so tests can point it at a local STS without touching
 * process.env. Base credentials come from that env when it holds keys, else from the SDK's default
 * chain (env, profile, web identity / IRSA, Pod Identity, instance metadata).
 */
function stsConfig(region: string, env: NodeJS.ProcessEnv): STSClientConfig {
  const endpoint = env.AWS_ENDPOINT_URL_STS ?? env.AWS_ENDPOINT_URL;
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey } = env;
  return {
    region,
    ...(endpoint !== undefined && { endpoint }),
    ...(accessKeyId !== undefined &&
      secretAccessKey !== undefined && {
        credentials: { accessKeyId, secretAccessKey, sessionToken: env.AWS_SESSION_TOKEN },
      }),
  };
}

export function roleAssumer(
  cluster: string,
  region: string,
  roleArn: string,
  env: NodeJS.ProcessEnv,
): RoleAssumer {
  const client = new STSClient(stsConfig(region, env));
  return {
    async assume() {
      const command = new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: sessionName(cluster) });
      const result = await client.send(command).catch((error: unknown) => {
        throw new AssumeRoleFailedError(cluster, roleArn, error);
      });
      const creds = result.Credentials;
      if (!creds?.AccessKeyId || !creds.SecretAccessKey || !creds.SessionToken || !creds.Expiration) {
        throw new CredentialsFailedError(
          cluster,
          `STS AssumeRole into ${roleArn} answered without credentials`,
        );
      }
      return {
        credentials: {
          accessKeyId: creds.AccessKeyId,
          secretAccessKey: creds.SecretAccessKey,
          sessionToken: creds.SessionToken,
        },
        expiresAt: creds.Expiration.getTime(),
      };
    },
    close: () => client.destroy(),
  };
}
