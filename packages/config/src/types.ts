import type { PolicySpec } from '@gatehouse/policy';
import type { JWT_ALGORITHMS } from './schema.js';

/** The validated configuration both apps run on. Durations are milliseconds, paths are absolute. */
export interface GatehouseConfig {
  readonly redis: RedisConfig;
  readonly gateway: GatewayConfig;
  readonly clusters: readonly ClusterConfig[];
  readonly identityProviders: readonly IdentityProviderConfig[];
  readonly agents: readonly AgentConfig[];
  readonly approverGroups: Readonly<Record<string, ApproverGroupConfig>>;
  readonly slack?: SlackConfig | undefined;
  readonly audit: AuditConfig;
  /** How the gateway reads namespace and object labels for selectors and conditions. */
  readonly labels: LabelsConfig;
  /** OpenTelemetry tracing; absent: off. */
  readonly telemetry?: TelemetryConfig | undefined;
  /** The policy section, validated by @gatehouse/policy (rules name approver groups above). */
  readonly policy: PolicySpec;
}

/**
 * Where and how to reach Redis. Every field but `url` and `keyPrefix` is optional, so a plain
 * `{ url, keyPrefix }` (tests, a single node) is a whole configuration.
 */
export interface RedisConfig {
  /** The single endpoint (REDIS_URL overrides it); ignored when `sentinels` is set. */
  readonly url: string;
  readonly keyPrefix: string;
  /** Redis Sentinel: where to ask for the current primary of `name`. */
  readonly sentinel?: SentinelConfig | undefined;
  readonly username?: string | undefined;
  /** Where the password is read at connect time (never held in the config, never logged). */
  readonly password?: RedisPasswordSource | undefined;
  /** TLS to Redis; a rediss:// URL turns it on with the system CAs. Paths are absolute. */
  readonly tls?: RedisTlsConfig | undefined;
  /** Replicas that must hold a must-survive write before it is acted on. @defaultValue 'auto' */
  readonly minReplicasToAck?: number | 'auto' | undefined;
  /** @defaultValue 1000 */
  readonly ackTimeoutMs?: number | undefined;
}

export interface SentinelConfig {
  readonly sentinels: readonly HostPort[];
  readonly name: string;
  /** The sentinels' own credentials, when they require them; the primary's are `username`/`password`. */
  readonly username?: string | undefined;
  readonly password?: RedisPasswordSource | undefined;
  /** Ask the sentinels over TLS, with `tls`'s CA and client certificate. */
  readonly tls?: boolean | undefined;
}

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export type RedisPasswordSource = { readonly file: string } | { readonly env: string };

export interface RedisTlsConfig {
  readonly caFile?: string | undefined;
  readonly certFile?: string | undefined;
  readonly keyFile?: string | undefined;
  readonly servername?: string | undefined;
}

export interface GatewayConfig {
  readonly host: string;
  readonly port: number;
  readonly publicUrl?: string | undefined;
  readonly tls: TlsConfig;
  readonly holdTimeoutMs: number;
  readonly requestTtlMs: number;
  readonly grantTtlMs: number;
  /** How long a held connection counts as present without its gateway renewing it. */
  readonly presenceLeaseMs: number;
  readonly maxBodyBytes: number;
  /** How long the gateway may read an approval's blast radius (preview); 0: no previews. */
  readonly previewTimeoutMs: number;
  /** Count a namespace's contents again before an approved delete is sent; grown means stale. */
  readonly recheckOnDispatch: boolean;
  /** Previews reading one cluster at once, per replica. */
  readonly previewConcurrency: number;
  /** Requests one preview may send. */
  readonly previewMaxRequests: number;
  /** Requests held at once per agent, and in all (per replica). */
  readonly maxHeldPerAgent: number;
  readonly maxHeld: number;
  readonly maxHeldBodyBytes: number;
  /** Bytes of request bodies buffered at once (received, judged or held), in all and per agent. */
  readonly bodyMemoryBytes: number;
  readonly bodyMemoryPerAgentBytes: number;
  /** Longest a request body may take to arrive. */
  readonly bodyTimeoutMs: number;
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

/** An OpenID Connect issuer whose identity tokens admit agents (`identityProviders[]`). */
export interface IdentityProviderConfig {
  readonly name: string;
  /** Compared exactly with a token's `iss`. */
  readonly issuer: string;
  /** A token's `aud` must hold one of these. */
  readonly audiences: readonly string[];
  /** Absent: discovered from `<issuer>/.well-known/openid-configuration`. */
  readonly jwksUri?: string | undefined;
  /** JWS algorithms accepted; asymmetric only (never `none`, never HMAC). */
  readonly algorithms: readonly JwtAlgorithm[];
  /** Absolute path of a PEM bundle trusted for the issuer's TLS besides Node's built-in CAs. */
  readonly caFile?: string | undefined;
  readonly clockSkewMs: number;
  readonly keys: {
    /** Fetch the signing keys again after this long. */
    readonly refreshMs: number;
    /** At most one fetch per this long (unknown key ids, an unreachable issuer). */
    readonly cooldownMs: number;
    /** Keys older than this are not used: the issuer unreachable that long means tokens are refused. */
    readonly maxStaleMs: number;
  };
}

export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];

/** Which identity tokens are an agent: every claim must match its value (`*`/`?` patterns allowed). */
export interface AgentMatch {
  readonly provider: string;
  readonly claims: Readonly<Record<string, string>>;
}

export interface AgentConfig {
  readonly id: string;
  /** SHA-256 hex of the agent's static bearer token; absent for agents admitted only by `match`. */
  readonly tokenSha256?: string | undefined;
  /** Identity tokens that are this agent. */
  readonly match?: AgentMatch | undefined;
  /** Slack user ids of the people who own the agent; none of them may approve its requests. */
  readonly owners: readonly string[];
  /** Who the agent acts as on clusters that impersonate. */
  readonly kubernetes: AgentKubernetesConfig;
}

/** A Kubernetes identity the gateway impersonates (`Impersonate-User`, one `Impersonate-Group` each). */
export interface KubernetesIdentity {
  readonly user: string;
  readonly groups: readonly string[];
  /** `Impersonate-Extra-<key>` values the identity carries from configuration (not the ones added at dispatch). */
  readonly extra?: Readonly<Record<string, readonly string[]>> | undefined;
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
  /** Per agent, its pending requests with a message of their own at once; the rest wait in its burst message. */
  readonly coalesceAfter: number;
  readonly apiUrl?: string | undefined;
  /** Absent: no summary is posted (and a scheduler left from before is removed). */
  readonly weeklySummary?: WeeklySummaryConfig | undefined;
}

/** When the slackbot posts the last 7 days' policy statistics to the approver channel. */
export interface WeeklySummaryConfig {
  /** Five-field cron pattern, read in `timezone` (BullMQ's `pattern` and `tz`). */
  readonly cron: string;
  /** IANA time zone name. */
  readonly timezone: string;
}

/** A SIEM's HTTP collector: batches read from the Redis stream, signed, retried until delivered. */
export interface WebhookSinkConfig {
  readonly type: 'webhook';
  /** Names its delivered position in Redis (`<prefix>:audit:sink:<name>`). */
  readonly name: string;
  readonly url: string;
  /** `gatehouse`: the stored events as JSON Lines; `k8s-audit`: an audit.k8s.io/v1 EventList. */
  readonly format: 'gatehouse' | 'k8s-audit';
  /** Sent with every batch, as written. */
  readonly headers: Readonly<Record<string, string>>;
  /** Header name -> environment variable with its value, read when shipping starts (never kept in the config). */
  readonly headersFromEnv: Readonly<Record<string, string>>;
  /** Environment variable with the key batches are signed with; absent: batches are not signed. */
  readonly hmacSecretEnv?: string | undefined;
  readonly batchSize: number;
  readonly flushIntervalMs: number;
  readonly timeoutMs: number;
}

export type AuditSinkConfig =
  | { readonly type: 'redis' }
  | { readonly type: 'file'; readonly path: string }
  | { readonly type: 'stdout' }
  | WebhookSinkConfig;

export interface TelemetryConfig {
  /** `service.name` of the spans. @defaultValue the app's name (gatehouse-gateway, gatehouse-slackbot) */
  readonly serviceName?: string | undefined;
  readonly otlp: {
    /** Base URL; spans are POSTed to `<endpoint>/v1/traces` (OTLP/HTTP, JSON). */
    readonly endpoint: string;
    readonly headers: Readonly<Record<string, string>>;
    /** Header name -> environment variable with its value, read at start-up. */
    readonly headersFromEnv: Readonly<Record<string, string>>;
    readonly timeoutMs: number;
  };
}

export interface AuditConfig {
  readonly sinks: readonly AuditSinkConfig[];
  readonly bodies: 'hash' | 'full';
  readonly recordingsDir: string;
}

/** The gateway's label reads (`labels:`): the per-cluster namespace cache and the object GET. */
export interface LabelsConfig {
  /** Namespace labels the watch has not confirmed for this long are unknown. */
  readonly staleAfterMs: number;
  /** Namespaces per list request (`limit`); the rest follow by `continue`. */
  readonly listPageSize: number;
  /** How long one object GET may take. */
  readonly objectReadTimeoutMs: number;
  /** Object GETs in flight at once, per replica. */
  readonly maxObjectReads: number;
}
