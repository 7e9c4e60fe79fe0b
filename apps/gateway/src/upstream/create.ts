import type { ClusterConfig } from '@gatehouse/config';
import { createEksUpstream } from './eks/index.js';
import { UnknownClusterTypeError } from './errors.js';
import { createKubeconfigUpstream } from './kubeconfig/index.js';
import type { ClusterUpstream, UpstreamDeps } from './types.js';

/**
 * Builds the upstream for one configured cluster. Rejects with a coded UpstreamError when the
 * cluster entry cannot work (missing role ARN, unreadable CA or kubeconfig, unknown context), so a
 * bad config fails at start-up rather than on the first request.
 */
export async function createClusterUpstream(
  cluster: ClusterConfig,
  deps: UpstreamDeps = {},
): Promise<ClusterUpstream> {
  switch (cluster.type) {
    case 'eks':
      return createEksUpstream(cluster, deps);
    case 'kubeconfig':
      return createKubeconfigUpstream(cluster, deps);
    default:
      // The config schema already rejects this; the runtime check guards hand-built configs.
      throw new UnknownClusterTypeError(
        (cluster as { name: string }).name,
        String((cluster as { type: unknown }).type),
      );
  }
}
