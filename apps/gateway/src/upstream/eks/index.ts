import type { EksClusterConfig } from '@gatehouse/config';
import { MissingRoleArnError } from '../errors.js';
import { refreshing } from '../refresh.js';
import { parseServerUrl } from '../server-url.js';
import { clusterTls } from '../tls.js';
import type { ClusterUpstream, UpstreamDeps } from '../types.js';
import { roleAssumer } from './assume-role.js';
import { loadEksCa } from './ca.js';
import { presignEksToken } from './token.js';

/** Assumed-role credentials are replaced this long before STS says they expire. */
const CREDENTIALS_MARGIN_MS = 5 * 60 * 1000;
/** A token is replaced this long before it (or the credentials that signed it) stops working. */
const TOKEN_MARGIN_MS = 60 * 1000;

/**
 * An EKS cluster reached with a token minted from credentials of `roleArn` (or EKS_ROLE_ARN).
 * Nothing is fetched until the first authHeaders(): an STS outage must not stop the gateway from
 * starting and serving its other clusters.
 */
export async function createEksUpstream(
  cluster: EksClusterConfig,
  deps: UpstreamDeps,
): Promise<ClusterUpstream> {
  const env = deps.env ?? process.env;
  const clock = deps.clock ?? { now: () => Date.now() };
  const roleArn = cluster.roleArn || env.EKS_ROLE_ARN;
  if (!roleArn) throw new MissingRoleArnError(cluster.name);
  const url = parseServerUrl(cluster.name, cluster.server);
  const ca = loadEksCa(cluster);
  if (ca === undefined) {
    deps.logger?.warn(
      { cluster: cluster.name },
      'no caData or caFile: the system trust store will be used, which does not trust EKS cluster CAs',
    );
  }
  const tls = clusterTls(url, { ca, rejectUnauthorized: true });
  const assumer = roleAssumer(cluster.name, cluster.region, roleArn, env);

  const role = refreshing(async () => {
    const assumed = await assumer.assume();
    deps.logger?.info(
      {
        cluster: cluster.name,
        roleArn,
        accessKeyId: assumed.credentials.accessKeyId,
        expiresAt: assumed.expiresAt,
      },
      'assumed the cluster role',
    );
    return { value: assumed, refreshAt: assumed.expiresAt - CREDENTIALS_MARGIN_MS };
  }, clock);

  const token = refreshing(async () => {
    const assumed = await role();
    const signedAt = new Date(clock.now());
    const minted = presignEksToken({
      credentials: assumed.credentials,
      region: cluster.region,
      clusterName: cluster.clusterName,
      signedAt,
    });
    // A token is only as good as the session token inside it.
    const refreshAt = Math.min(minted.expiresAt, assumed.expiresAt) - TOKEN_MARGIN_MS;
    return { value: minted.token, refreshAt };
  }, clock);

  return {
    name: cluster.name,
    url,
    dispatcher: tls.dispatcher,
    tlsOptions: tls.tlsOptions,
    authHeaders: async () => ({ authorization: `Bearer ${await token()}` }),
    close: async () => {
      assumer.close();
      await tls.dispatcher.close();
    },
  };
}
