import { z } from 'zod';
import { parseDuration } from './duration.js';
import { cronProblem, timeZoneProblem } from './schedule.js';

const duration = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const ms = parseDuration(value);
  if (ms === undefined) {
    ctx.addIssue({
      code: 'custom',
      message: `not a duration: ${JSON.stringify(value)} (use e.g. 30s, 10m, 1h)`,
    });
    return z.NEVER;
  }
  return ms;
});

const SIZE_UNITS = { B: 1, KiB: 1024, MiB: 1024 ** 2 } as const;
const byteSize = z.union([z.string(), z.number().int().positive()]).transform((value, ctx) => {
  if (typeof value === 'number') return value;
  const match = /^(\d+)\s*(B|KiB|MiB)$/.exec(value.trim());
  if (!match) {
    ctx.addIssue({ code: 'custom', message: `not a size: ${JSON.stringify(value)} (use e.g. 512KiB, 3MiB)` });
    return z.NEVER;
  }
  return Number(match[1]) * SIZE_UNITS[match[2] as keyof typeof SIZE_UNITS];
});

const hostPort = z.string().transform((value, ctx) => {
  const match = /^(\[[0-9a-fA-F:]+\]|[^:\s]+):(\d{1,5})$/.exec(value);
  const port = match ? Number(match[2]) : Number.NaN;
  if (!match || port > 65_535) {
    ctx.addIssue({ code: 'custom', message: `expected host:port, got ${JSON.stringify(value)}` });
    return z.NEVER;
  }
  return { host: match[1]!.replace(/^\[|\]$/g, ''), port };
});

/** A string that `problem` has nothing to say about. */
const checked = (problem: (value: string) => string | undefined) =>
  z.string().superRefine((value, ctx) => {
    const message = problem(value);
    if (message !== undefined) ctx.addIssue({ code: 'custom', message });
  });

/** Cluster names appear in URLs (`/clusters/<name>/...`), so they stay path-safe. */
const clusterName = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'lower-case letters, digits and dashes');
const slackUserId = z.string().regex(/^[UW][A-Z0-9]{2,}$/, 'a Slack user id such as U0123ABCD');

/**
 * A Kubernetes user or group name the gateway impersonates. It travels as an HTTP header value, one
 * per header line, so it is printable ASCII without spaces or commas (a proxy may join repeated
 * headers with commas). `system:` names are Kubernetes' own identities — `system:masters` bypasses
 * RBAC altogether — so an agent never acts as one.
 */
const kubernetesName = z
  .string()
  .regex(/^[!-+\--~]+$/, 'printable ASCII without spaces or commas, e.g. gatehouse:agent:agent-oncall')
  .refine((name) => !name.toLowerCase().startsWith('system:'), {
    error: (issue) =>
      `${JSON.stringify(issue.input)} is reserved: system: names are Kubernetes' own identities ` +
      '(system:masters bypasses RBAC entirely); give the agent a name of its own, e.g. ' +
      'gatehouse:agent:<id>, and grant that name what the agent needs',
  });

/** Who an agent acts as on a cluster; unset fields fall back to the agent's defaults. */
const kubernetesIdentity = z.strictObject({
  user: kubernetesName.optional(),
  groups: z.array(kubernetesName).optional(),
});

const eksCluster = z.strictObject({
  name: clusterName,
  type: z.literal('eks'),
  server: z.url({ protocol: /^https$/ }),
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region such as us-east-1'),
  clusterName: z.string().min(1),
  /** Defaults to the EKS_ROLE_ARN environment variable. */
  roleArn: z
    .string()
    .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/, 'an IAM role ARN')
    .optional(),
  caData: z.string().min(1).optional(),
  caFile: z.string().min(1).optional(),
  impersonate: z.boolean().default(true),
});

const kubeconfigCluster = z.strictObject({
  name: clusterName,
  type: z.literal('kubeconfig'),
  kubeconfig: z.string().min(1),
  context: z.string().min(1).optional(),
  /**
   * Whether agents act as their own Kubernetes identity here. `false` sends every agent's requests
   * as the gateway's own identity (the kubeconfig's user, including any `as:` it sets).
   */
  impersonate: z.boolean().default(true),
});

const cluster = z.discriminatedUnion('type', [eksCluster, kubeconfigCluster], {
  error: (issue) =>
    issue.code === 'invalid_union' ? 'unknown cluster type: expected "eks" or "kubeconfig"' : undefined,
});

/**
 * Asymmetric JWS algorithms only: identity tokens are checked with the issuer's public keys, so an
 * HMAC algorithm would make a public key the shared secret (anyone could sign), and `none` signs nothing.
 */
export const JWT_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
] as const;
const DEFAULT_JWT_ALGORITHMS = JWT_ALGORITHMS.filter((algorithm) => algorithm !== 'EdDSA');

const jwtAlgorithm = z.enum(JWT_ALGORITHMS, {
  error: (issue) =>
    `${JSON.stringify(issue.input)} is not accepted: identity tokens are verified with the issuer's public ` +
    `keys, so only asymmetric algorithms are (${JWT_ALGORITHMS.join(', ')}); never none or HMAC (HS256…)`,
});

const httpsUrl = (example: string) =>
  z.url({
    protocol: /^https$/,
    error: (issue) => `an https:// URL such as ${example}, got ${JSON.stringify(issue.input)}`,
  });

const positiveDuration = duration.refine((ms) => ms > 0, 'must be longer than 0s');

/** An OpenID Connect issuer whose signed identity tokens (JWTs) admit agents without a static secret. */
const identityProvider = z.strictObject({
  /** Named by agents[].match.provider and in the audit. */
  name: clusterName,
  /** Compared exactly with the token's `iss`; discovery reads `<issuer>/.well-known/openid-configuration`. */
  issuer: httpsUrl('https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE'),
  /** A token's `aud` must hold one of these. */
  audiences: z.array(z.string().min(1)).min(1, 'at least one audience, e.g. [gatehouse]'),
  /** Where the signing keys are; discovered from the issuer when absent. */
  jwksUri: httpsUrl('https://issuer.example.com/keys').optional(),
  algorithms: z
    .array(jwtAlgorithm)
    .min(1)
    .default([...DEFAULT_JWT_ALGORITHMS]),
  /** A PEM CA bundle trusted for the issuer's TLS, besides Node's built-in CA list. */
  caFile: z.string().min(1).optional(),
  /** Allowed difference between the issuer's clock and ours for exp, nbf and iat. */
  clockSkew: duration.default(30_000),
  keys: z
    .strictObject({
      /** How often the signing keys are fetched again while the issuer answers. */
      refresh: positiveDuration.default(600_000),
      /** At most one fetch per this long, however many tokens name an unknown key id. */
      cooldown: positiveDuration.default(30_000),
      /** Issuer unreachable: the last keys stay in use this long after they were fetched, then tokens are refused. */
      maxStale: positiveDuration.default(3_600_000),
    })
    .prefault({}),
});

/** Which identity tokens are this agent: all claims must match (exact values, or `*`/`?` patterns). */
const agentMatch = z.strictObject({
  provider: clusterName,
  claims: z.record(z.string().min(1), z.string().min(1)).refine((claims) => claims.sub !== undefined, {
    error:
      'claims must name sub (the workload the token was issued to), e.g. ' +
      'claims: { sub: "system:serviceaccount:agents:oncall" }',
  }),
});

const agent = z.strictObject({
  id: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9._-]*$/, 'letters, digits, dot, dash, underscore'),
  /** A static bearer token's hash; an agent has this, a `match`, or both. */
  tokenSha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/, 'the lower-case hex SHA-256 of the token (gatehouse-gateway hash-token)')
    .optional(),
  /** Identity tokens from an identity provider that are this agent. */
  match: agentMatch.optional(),
  owners: z.array(slackUserId).default([]),
  /** Defaults: user gatehouse:agent:<id>, groups [gatehouse:agents]; `clusters` overrides per cluster. */
  kubernetes: kubernetesIdentity
    .extend({ clusters: z.record(clusterName, kubernetesIdentity).optional() })
    .optional(),
});

const approverGroup = z.union(
  [
    z.strictObject({
      slackUsergroup: z.string().regex(/^S[A-Z0-9]+$/, 'a Slack user group id such as S0123ABCD'),
    }),
    z.strictObject({ members: z.array(slackUserId).min(1) }),
  ],
  { error: () => 'an approver group is either { slackUsergroup: S… } or { members: [U…] }' },
);

const tls = z.discriminatedUnion('mode', [
  z.strictObject({ mode: z.literal('files'), certFile: z.string().min(1), keyFile: z.string().min(1) }),
  z.strictObject({ mode: z.literal('self-signed'), dir: z.string().min(1).default('.gatehouse/tls') }),
  /** Only behind a TLS-terminating proxy: kubectl sends no bearer token over plain HTTP. */
  z.strictObject({ mode: z.literal('plain-http') }),
]);

const auditSink = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('redis') }),
  z.strictObject({ type: z.literal('file'), path: z.string().min(1) }),
  z.strictObject({ type: z.literal('stdout') }),
  /** Batches POSTed to a SIEM's HTTP collector, read from the Redis stream (see @gatehouse/audit shipper/). */
  z.strictObject({
    type: z.literal('webhook'),
    /** Names its delivered position in Redis; change it and delivery starts over. */
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and dashes, e.g. splunk')
      .optional(),
    url: z.url({
      protocol: /^https?$/,
      error: 'an http:// or https:// URL, e.g. https://siem.example.com/gatehouse',
    }),
    format: z.enum(['gatehouse', 'k8s-audit']).default('gatehouse'),
    /** Sent with every batch, as written. */
    headers: z.record(z.string(), z.string()).default({}),
    /** Header name -> environment variable holding its value (a collector token stays out of the file). */
    headersFromEnv: z.record(z.string(), z.string().min(1)).default({}),
    /** Environment variable with the key each batch is signed with (Gatehouse-Signature). */
    hmacSecretEnv: z.string().min(1).optional(),
    batchSize: z.number().int().min(1).max(5000).default(500),
    flushInterval: positiveDuration.default(1000),
    timeout: positiveDuration.default(10_000),
  }),
]);

/** The `labels:` defaults; the gateway's label readers fall back to the same when built without a config. */
export const LABELS_DEFAULTS = {
  staleAfterMs: 180_000,
  listPageSize: 500,
  objectReadTimeoutMs: 2_000,
  maxObjectReads: 16,
} as const;

/**
 * How the gateway reads the labels that `namespaceSelector`, `objectSelector` and conditions judge by
 * (apps/gateway/src/labels): each cluster's namespace cache (list in pages, then watch) and the one GET
 * of a request's object.
 */
const labels = z
  .strictObject({
    /**
     * Namespace labels are unknown (fail closed) once the watch has been silent this long. The API
     * server bookmarks a quiet watch about every minute, so a bound of a minute or less would make a
     * healthy cluster's labels unknown between bookmarks.
     */
    staleAfter: positiveDuration
      .refine((ms) => ms > 60_000, {
        error:
          'must be more than 1m: the API server bookmarks a quiet watch about every minute, so a ' +
          "shorter bound makes a healthy cluster's namespace labels unknown; the default is 3m",
      })
      .default(LABELS_DEFAULTS.staleAfterMs),
    /** Namespaces per list request; the rest follow by `continue` (client-go's pager reads 500). */
    listPageSize: z
      .number()
      .int('a whole number of namespaces')
      .min(1, 'at least 1 namespace per list request; the default is 500')
      .default(LABELS_DEFAULTS.listPageSize),
    /** How long the GET of a request's object may take before its labels are unknown. */
    objectReadTimeout: positiveDuration.default(LABELS_DEFAULTS.objectReadTimeoutMs),
    /** Object GETs in flight at once (per replica, all clusters); one more is unknown at once, not queued. */
    maxObjectReads: z
      .number()
      .int('a whole number of reads')
      .min(1, 'at least 1 read in flight; the default is 16')
      .default(LABELS_DEFAULTS.maxObjectReads),
  })
  .prefault({});

export const configSchema = z.strictObject({
  redis: z
    .strictObject({
      /** One endpoint: a single Redis, or a managed service's primary endpoint. Unused with `sentinels`. */
      url: z
        .string()
        .regex(/^rediss?:\/\//, 'a redis:// or rediss:// URL')
        .optional(),
      /** Redis Sentinel: ask these for the current primary of `name` (host:port each). */
      sentinels: z.array(hostPort).min(1, 'list at least one sentinel, e.g. [sentinel-0:26379]').optional(),
      /** The Sentinel master name (`sentinel monitor <name> ...`). */
      name: z.string().min(1).optional(),
      /** The sentinels' own ACL user and password, when they require one (sentinel.conf `requirepass`, or ACL). */
      sentinelUsername: z.string().min(1).optional(),
      sentinelPasswordFile: z.string().min(1).optional(),
      sentinelPasswordEnv: z
        .string()
        .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name')
        .optional(),
      /** Ask the sentinels over TLS too (their `tls-port`), with redis.tls's CA and client certificate. */
      sentinelTls: z.boolean().default(false),
      /** The ACL user (Redis 6+); the URL's user when unset. */
      username: z.string().min(1).optional(),
      /** A file holding the password (a mounted secret); never the password itself in this file. */
      passwordFile: z.string().min(1).optional(),
      /** The environment variable holding the password. */
      passwordEnv: z
        .string()
        .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name')
        .optional(),
      /** TLS to Redis (also on with a rediss:// URL): the CA that signed its certificate, a client certificate. */
      tls: z
        .strictObject({
          caFile: z.string().min(1).optional(),
          certFile: z.string().min(1).optional(),
          keyFile: z.string().min(1).optional(),
          /** The name the certificate is checked against when Sentinel answers with an IP address. */
          servername: z.string().min(1).optional(),
        })
        .refine((tls) => (tls.certFile === undefined) === (tls.keyFile === undefined), {
          error: 'a client certificate needs both certFile and keyFile',
        })
        .optional(),
      /**
       * How many replicas must hold a must-survive write (a dispatch claim, a vote, an audit head)
       * before it is acted on (Redis WAIT). `auto`: 1 when the primary has replicas or Sentinel is
       * used, else 0.
       */
      minReplicasToAck: z.union([z.literal('auto'), z.number().int().min(0)]).default('auto'),
      /** How long a must-survive write waits for its replicas before the request fails with 503. */
      ackTimeout: positiveDuration.default(1000),
      keyPrefix: z
        .string()
        .regex(/^[a-zA-Z0-9:_-]+$/)
        .default('gatehouse'),
    })
    .refine((redis) => redis.sentinels === undefined || redis.url === undefined, {
      error: 'set redis.url or redis.sentinels, not both (Sentinel tells where the primary is)',
    })
    .refine((redis) => (redis.sentinels === undefined) === (redis.name === undefined), {
      error: 'redis.sentinels and redis.name go together, e.g. sentinels: [sentinel-0:26379], name: mymaster',
    })
    .refine((redis) => redis.passwordFile === undefined || redis.passwordEnv === undefined, {
      error: 'set redis.passwordFile or redis.passwordEnv, not both',
    })
    .refine((redis) => redis.sentinelPasswordFile === undefined || redis.sentinelPasswordEnv === undefined, {
      error: 'set redis.sentinelPasswordFile or redis.sentinelPasswordEnv, not both',
    })
    .refine(
      (redis) =>
        redis.sentinels !== undefined ||
        (redis.sentinelUsername === undefined &&
          redis.sentinelPasswordFile === undefined &&
          redis.sentinelPasswordEnv === undefined &&
          !redis.sentinelTls),
      {
        error:
          'redis.sentinelUsername, sentinelPasswordFile/Env and sentinelTls apply only with redis.sentinels',
      },
    )
    .prefault({}),
  gateway: z
    .strictObject({
      listen: hostPort.default({ host: '0.0.0.0', port: 8443 }),
      /** The URL agents use, for printed kubeconfigs. */
      publicUrl: z.url().optional(),
      tls: tls.default({ mode: 'self-signed', dir: '.gatehouse/tls' }),
      /**
       * Below undici's 300 s headersTimeout (fetch in @kubernetes/client-node 2.x), so every
       * common client gets the gateway's "still pending, re-run after approval" 403 before it
       * gives up on its own (README, agents: how long each client waits).
       */
      holdTimeout: duration.default(270_000),
      requestTtl: duration.default(1_800_000),
      grantTtl: duration.default(600_000),
      /**
       * How long a held connection counts as present once its gateway stops renewing it (a crash
       * never says goodbye); renewed every third of it. Past it, any replica records the requester gone.
       */
      presenceLease: duration.default(30_000),
      maxBodySize: byteSize.default(3 * 1024 * 1024),
      /** Bound on reading an approval's blast radius from the cluster; 0 turns previews off. */
      previewTimeout: duration.default(3_000),
      /**
       * Right before an approved namespace delete is sent, count its workloads, pods and PVCs again;
       * more than the approver saw makes the approval stale (nothing is sent).
       */
      recheckOnDispatch: z.boolean().default(true),
      /** Previews reading one cluster at once (per replica); past it a new approval's preview is skipped. */
      previewConcurrency: z.number().int().positive().default(4),
      /** Reads (and the dry run) one preview may send; a preview needing more is unavailable. */
      previewMaxRequests: z.number().int().positive().default(32),
      /** Requests one agent may have held at once on a replica; past it: 429. */
      maxHeldPerAgent: z.number().int().positive().default(20),
      /** Requests held at once on a replica, all agents together; past it: 429. */
      maxHeld: z.number().int().positive().default(200),
      /**
       * Largest body a held request may carry. Kubernetes objects are at most ~1.5 MiB (etcd's request
       * limit), so a larger held body could not be stored by the cluster anyway.
       */
      maxHeldBodySize: byteSize.default(1536 * 1024),
      /** Request bodies one replica buffers at once (being received, judged or held); past it: 429. */
      bodyMemory: byteSize.default(128 * 1024 * 1024),
      /** The same, for one agent. */
      bodyMemoryPerAgent: byteSize.default(32 * 1024 * 1024),
      /** Longest a request body may take to arrive; a stalled upload is cut (408) and recorded. */
      bodyTimeout: duration.default(30_000),
    })
    .prefault({}),
  clusters: z.array(cluster).min(1, 'at least one cluster is needed'),
  identityProviders: z.array(identityProvider).default([]),
  agents: z.array(agent).default([]),
  approverGroups: z.record(z.string().min(1), approverGroup).default({}),
  slack: z
    .strictObject({
      approverChannel: z.string().regex(/^[CG][A-Z0-9]+$/, 'a Slack channel id such as C0123ABCD'),
      command: z
        .string()
        .regex(/^\/[a-z0-9_-]+$/)
        .default('/gatehouse'),
      listen: hostPort.default({ host: '0.0.0.0', port: 3000 }),
      usergroupCacheTtl: duration.default(60_000),
      /**
       * Per agent, how many of its pending requests have a message of their own at once; the rest
       * wait in one burst message per agent, so a burst of held requests cannot flood the channel.
       */
      coalesceAfter: z
        .number()
        .int('a whole number of requests')
        .min(1, "at least 1: how many of one agent's pending requests have their own message at once")
        .default(5),
      /** Point the Slack WebClient elsewhere (tests, the demo). Must end with /api/. */
      apiUrl: z.url().optional(),
      /**
       * Opt-in: the last 7 days of held requests, per rule, posted to approverChannel on a cron
       * schedule; once per period however many replicas run (a BullMQ job scheduler).
       */
      weeklySummary: z
        .strictObject({
          cron: checked(cronProblem).default('0 9 * * 1'),
          timezone: checked(timeZoneProblem).default('UTC'),
        })
        .optional(),
    })
    .optional(),
  audit: z
    .strictObject({
      sinks: z
        .array(auditSink)
        .min(1)
        .default([{ type: 'redis' }]),
      bodies: z.enum(['hash', 'full']).default('hash'),
      recordingsDir: z.string().min(1).default('.gatehouse/recordings'),
    })
    .prefault({}),
  /** OpenTelemetry traces, exported over OTLP/HTTP; absent: no tracing, the SDK is not even loaded. */
  telemetry: z
    .strictObject({
      serviceName: z.string().min(1).optional(),
      otlp: z.strictObject({
        /** The collector's base URL; traces go to `<endpoint>/v1/traces`, as OTEL_EXPORTER_OTLP_ENDPOINT. */
        endpoint: z.url({
          protocol: /^https?$/,
          error: 'an http:// or https:// URL, e.g. http://otel-collector:4318',
        }),
        headers: z.record(z.string(), z.string()).default({}),
        headersFromEnv: z.record(z.string(), z.string().min(1)).default({}),
        timeout: positiveDuration.default(10_000),
      }),
    })
    .optional(),
  labels,
  policy: z.unknown().optional(),
});

export type RawConfig = z.output<typeof configSchema>;
