import type { PolicySpec } from '@gatehouse/policy';

/** The validated configuration both apps run on. Durations are milliseconds, paths are absolute. */
export interface GatehouseConfig {
  readonly redis: { readonly url: string; readonly keyPrefix: string };
  readonly gateway: GatewayConfig;
  readonly clusters: readonly ClusterConfig[];
  readonly agents: readonly AgentConfig[];
  readonly approverGroups: Readonly<Record<string, ApproverGroupConfig>>;
  readonly slack?: SlackConfig | undefined;
  readonly audit: AuditConfig;
  /** The policy section, validated by @gatehouse/policy (rules name approver groups above). */
  readonly policy: PolicySpec;
}

export interface GatewayConfig {
  readonly host: string;
  readonly port: number;
  readonly publicUrl?: string | undefined;
  readonly tls: TlsConfig;
  readonly holdTimeoutMs: number;
  readonly requestTtlMs: number;
  readonly grantTtlMs: number;
  readonly maxBodyBytes: number;
  /** How long the gateway may read an approval's blast radius (preview); 0: no previews. */
  readonly previewTimeoutMs: number;
}

export type TlsConfig =
  | { readonly mode: 'files'; readonly certFile: string; readonly keyFile: string }
  | { readonly mode: 'self-signed'; readonly dir: string }
  | { readonly mode: 'plain-http' };

export interface EksClusterConfig {
  readonly name: string;
  readonly type: 'eks';
  readonly server: string;
  readonly region: string;
  readonly clusterName: string;
  readonly roleArn: string;
  readonly caData?: string | undefined;
  readonly caFile?: string | undefined;
  /** Agents act as their own Kubernetes identity (see AgentConfig.kubernetes); false: as the gateway's. */
  readonly impersonate: boolean;
}

export interface KubeconfigClusterConfig {
  readonly name: string;
  readonly type: 'kubeconfig';
  readonly kubeconfig: string;
  readonly context?: string | undefined;
  /** Agents act as their own Kubernetes identity (see AgentConfig.kubernetes); false: as the kubeconfig's user. */
  readonly impersonate: boolean;
}

export type ClusterConfig = EksClusterConfig | KubeconfigClusterConfig;

export interface AgentConfig {
  readonly id: string;
  readonly tokenSha256: string;
  /** Slack user ids of the people who own the agent; none of them may approve its requests. */
  readonly owners: readonly string[];
  /** Who the agent acts as on clusters that impersonate. */
  readonly kubernetes: AgentKubernetesConfig;
}

/** A Kubernetes identity the gateway impersonates (`Impersonate-User`, one `Impersonate-Group` each). */
export interface KubernetesIdentity {
  readonly user: string;
  readonly groups: readonly string[];
}

/** The agent's identity everywhere, and per cluster where it differs (already merged with the default). */
export interface AgentKubernetesConfig extends KubernetesIdentity {
  readonly clusters: Readonly<Record<string, KubernetesIdentity>>;
}

export type ApproverGroupConfig =
  | { readonly slackUsergroup: string }
  | { readonly members: readonly string[] };

export interface SlackConfig {
  readonly approverChannel: string;
  readonly command: string;
  readonly host: string;
  readonly port: number;
  readonly usergroupCacheTtlMs: number;
  readonly apiUrl?: string | undefined;
}

export type AuditSinkConfig =
  | { readonly type: 'redis' }
  | { readonly type: 'file'; readonly path: string }
  | { readonly type: 'stdout' };

export interface AuditConfig {
  readonly sinks: readonly AuditSinkConfig[];
  readonly bodies: 'hash' | 'full';
  readonly recordingsDir: string;
}
