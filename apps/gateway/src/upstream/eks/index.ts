import type { EksClusterConfig } from '@gatehouse/config';
import type { ClusterUpstream, UpstreamDeps } from '../types.js';

export async function createEksUpstream(
  _cluster: EksClusterConfig,
  _deps: UpstreamDeps,
): Promise<ClusterUpstream> {
  throw new Error('not implemented yet');
}
