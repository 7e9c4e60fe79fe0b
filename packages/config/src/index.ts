export { parseDuration } from './duration.js';
export { ConfigError, ConfigErrorCode } from './errors.js';
export { impersonatedNames, runAsOn } from './identity.js';
export { type Env, loadConfig, type ParseOptions, parseConfig } from './load.js';
export type {
  AgentConfig,
  AgentKubernetesConfig,
  ApproverGroupConfig,
  AuditConfig,
  AuditSinkConfig,
  ClusterConfig,
  EksClusterConfig,
  GatehouseConfig,
  GatewayConfig,
  KubeconfigClusterConfig,
  KubernetesIdentity,
  SlackConfig,
  TlsConfig,
} from './types.js';
