export { parseDuration } from './duration.js';
export { ConfigError, ConfigErrorCode } from './errors.js';
export { impersonatedNames, runAsOn } from './identity.js';
export { type Env, loadConfig, type ParseOptions, parseConfig } from './load.js';
export { JWT_ALGORITHMS, LABELS_DEFAULTS } from './schema.js';
export type {
  AgentConfig,
  AgentKubernetesConfig,
  AgentMatch,
  ApproverGroupConfig,
  AuditConfig,
  AuditSinkConfig,
  ClusterConfig,
  EksClusterConfig,
  GatehouseConfig,
  GatewayConfig,
  HostPort,
  IdentityProviderConfig,
  JwtAlgorithm,
  KubeconfigClusterConfig,
  KubernetesIdentity,
  LabelsConfig,
  RedisConfig,
  RedisPasswordSource,
  RedisTlsConfig,
  SentinelConfig,
  SlackConfig,
  TelemetryConfig,
  TlsConfig,
  WebhookSinkConfig,
  WeeklySummaryConfig,
} from './types.js';
