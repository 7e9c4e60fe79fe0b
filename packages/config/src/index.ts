export { parseDuration } from './duration.js';
export { ConfigError, ConfigErrorCode } from './errors.js';
export { type Env, loadConfig, type ParseOptions, parseConfig } from './load.js';
export type {
  AgentConfig,
  ApproverGroupConfig,
  AuditConfig,
  AuditSinkConfig,
  ClusterConfig,
  EksClusterConfig,
  GatehouseConfig,
  GatewayConfig,
  KubeconfigClusterConfig,
  SlackConfig,
  TlsConfig,
} from './types.js';
