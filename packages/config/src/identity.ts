import type { AgentConfig, ClusterConfig, GatehouseConfig, KubernetesIdentity } from './types.js';

/**
 * Who an agent's requests run as on a cluster: its Kubernetes identity, or `undefined` where the
 * cluster is configured without impersonation (the requests then run as the gateway's own identity).
 */
export function runAsOn(agent: AgentConfig, cluster: ClusterConfig): KubernetesIdentity | undefined {
  if (!cluster.impersonate) return undefined;
  const { user, groups, clusters } = agent.kubernetes;
  return clusters[cluster.name] ?? { user, groups };
}

/** Every user and group the gateway may impersonate: exactly what its RBAC must allow, nothing more. */
export function impersonatedNames(config: Pick<GatehouseConfig, 'agents' | 'clusters'>): {
  users: string[];
  groups: string[];
} {
  const users = new Set<string>();
  const groups = new Set<string>();
  for (const cluster of config.clusters) {
    for (const agent of config.agents) {
      const identity = runAsOn(agent, cluster);
      if (!identity) continue;
      users.add(identity.user);
      for (const group of identity.groups) groups.add(group);
    }
  }
  return { users: [...users].sort(), groups: [...groups].sort() };
}
