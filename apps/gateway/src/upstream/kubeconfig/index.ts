import type { KubeconfigClusterConfig } from '@gatehouse/config';
import type { ClusterUpstream, UpstreamDeps } from '../types.js';

export async function createKubeconfigUpstream(
  _cluster: KubeconfigClusterConfig,
  _deps: UpstreamDeps,
): Promise<ClusterUpstream> {
  throw new Error('not implemented yet');
}
