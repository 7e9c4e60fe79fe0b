// Stand-in for the cluster entries of @gatehouse/config until that package exports them;
// then this file becomes a type re-export.
export interface EksClusterConfig {
  name: string;
  type: 'eks';
  server: string;
  region: string;
  clusterName: string;
  roleArn?: string | undefined;
  caData?: string | undefined;
  caFile?: string | undefined;
}

export interface KubeconfigClusterConfig {
  name: string;
  type: 'kubeconfig';
  kubeconfig: string;
  context?: string | undefined;
}

export type ClusterConfig = EksClusterConfig | KubeconfigClusterConfig;
