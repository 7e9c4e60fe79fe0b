import { readFileSync } from 'node:fs';
import type { EksClusterConfig } from '@gatehouse/config';
import { CaUnreadableError } from '../errors.js';
import { checkedCa } from '../tls-material.js';

/**
 * The cluster CA as PEM. `caData` is what `aws eks describe-cluster` reports as
 * certificateAuthority.data (base64 of the PEM); a bare PEM is accepted too. Undefined when neither
 * caData nor caFile is set: the system trust store then decides, which refuses a real EKS endpoint,
 * since EKS signs its API server certificate with the cluster's own CA.
 */
export function loadEksCa(cluster: EksClusterConfig): string | undefined {
  if (cluster.caData !== undefined) {
    const text = cluster.caData.trimStart().startsWith('-----BEGIN')
      ? cluster.caData
      : Buffer.from(cluster.caData, 'base64').toString('utf8');
    return checkedCa(cluster.name, text, 'caData');
  }
  if (cluster.caFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(cluster.caFile, 'utf8');
    } catch (error) {
      throw new CaUnreadableError(cluster.name, `caFile ${cluster.caFile}`, error);
    }
    return checkedCa(cluster.name, text, `caFile ${cluster.caFile}`);
  }
  return undefined;
}
