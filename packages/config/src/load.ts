import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { type PolicySpec, validatePolicySpec } from '@gatehouse/policy';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ConfigError, ConfigErrorCode } from './errors.js';
import { configSchema, type RawConfig } from './schema.js';
import type {
  AgentKubernetesConfig,
  ClusterConfig,
  GatehouseConfig,
  LabelsConfig,
  RedisConfig,
  RedisPasswordSource,
  WebhookSinkConfig,
} from './types.js';

/** A Redis on this machine: the development default. */
const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

export type Env = Readonly<Record<string, string | undefined>>;

/** Reads, parses and validates gatehouse.yaml. Throws a ConfigError naming every bad field. */
export function loadConfig(path: string, env: Env = process.env): GatehouseConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(
      ConfigErrorCode.FileUnreadable,
      `cannot read config file ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}; set GATEHOUSE_CONFIG to the path of gatehouse.yaml`,
    );
  }
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    throw new ConfigError(
      ConfigErrorCode.InvalidYaml,
      `config file ${path} is not valid YAML: ${(error as Error).message}`,
    );
  }
  return parseConfig(document ?? {}, { baseDir: dirname(resolve(path)), env, source: path });
}

export interface ParseOptions {
  /** Relative paths in the config resolve against this directory (the config file's). */
  readonly baseDir: string;
  readonly env?: Env;
  /** Named in error messages. */
  readonly source?: string;
}

/** Validates an already-parsed config document. */
export function parseConfig(document: unknown, options: ParseOptions): GatehouseConfig {
  const env = options.env ?? {};
  const source = options.source ?? 'config';
  const result = configSchema.safeParse(document);
  if (!result.success)
    throw invalid(
      source,
      result.error.issues.map((issue) => formatIssue(issue, document)),
    );
  const raw = result.data;
  const problems = crossCheck(raw, env);
  if (problems.length > 0) throw invalid(source, problems);
  return normalise(raw, validatePolicy(raw, source), options.baseDir, env);
}

function invalid(source: string, issues: string[]): ConfigError {
  return new ConfigError(
    ConfigErrorCode.Invalid,
    `invalid configuration in ${source}:\n${issues.map((issue) => `  - ${issue}`).join('\n')}`,
    issues,
  );
}

function formatIssue(issue: z.core.$ZodIssue, document: unknown): string {
  const path = issue.path.reduce<string>(
    (text, key) =>
      typeof key === 'number' ? `${text}[${key}]` : text ? `${text}.${String(key)}` : String(key),
    '',
  );
  const field = issue.path.at(-1);
  // zod says "expected string, received undefined"; a person wants "this field is missing, like so".
  const given = typeof field === 'string' ? valueAt(document, issue.path) : 'not a field';
  if (issue.code === 'invalid_type' && typeof field === 'string' && (given === undefined || given === null)) {
    const example = REQUIRED_EXAMPLES[field];
    // `tokenSha256:` with nothing after it is YAML null: say so rather than "received null".
    const what = given === undefined ? 'required field missing' : 'no value given (empty in the YAML)';
    return `${path}: ${what}${example ? `; for example ${field}: ${example}` : ` (expected ${issue.expected})`}`;
  }
  if (issue.code === 'unrecognized_keys') {
    return `${path || '(top level)'}: unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}`;
  }
  return `${path || '(top level)'}: ${issue.message}`;
}

/** The value at `path` in the document as written; 'not a field' when its parent is not an object. */
function valueAt(document: unknown, path: readonly PropertyKey[]): unknown {
  let parent: unknown = document;
  for (const key of path.slice(0, -1)) {
    if (parent === null || typeof parent !== 'object') return 'not a field';
    parent = (parent as Record<PropertyKey, unknown>)[key];
  }
  if (parent === null || typeof parent !== 'object') return 'not a field';
  return (parent as Record<PropertyKey, unknown>)[path.at(-1)!];
}

/** What to write for each required field, named in the "required field missing" message. */
const REQUIRED_EXAMPLES: Readonly<Record<string, string>> = {
  name: 'prod',
  type: 'kubeconfig (or eks; audit sinks: redis, file or stdout)',
  kubeconfig: '~/.kube/config',
  server: 'https://ABCDEF0123.gr7.eu-west-1.eks.amazonaws.com',
  region: 'eu-west-1',
  clusterName: 'prod',
  id: 'agent-oncall',
  tokenSha256: '<hash printed by gatehouse-gateway token --agent <id>>',
  approverChannel: 'C0123ABCD (the channel id, from the channel details in Slack)',
  slackUsergroup: 'S0123ABCD',
  members: '[U0BOB, U0CAROL]',
  mode: 'self-signed (or files, plain-http)',
  certFile: '/etc/gatehouse/tls/tls.crt',
  keyFile: '/etc/gatehouse/tls/tls.key',
  path: '/var/log/gatehouse/audit.jsonl',
  clusters: '[{ name: kind, type: kubeconfig, kubeconfig: ~/.kube/config }]',
};

function crossCheck(raw: RawConfig, env: Env): string[] {
  const problems: string[] = [];
  const duplicates = (values: string[]) => values.filter((value, index) => values.indexOf(value) !== index);
  for (const name of duplicates(raw.clusters.map((cluster) => cluster.name))) {
    problems.push(`clusters: the name ${name} is used twice`);
  }
  for (const id of duplicates(raw.agents.map((agent) => agent.id))) {
    problems.push(`agents: the id ${id} is used twice`);
  }
  const hashes = raw.agents.flatMap((agent) => (agent.tokenSha256 ? [agent.tokenSha256] : []));
  if (duplicates(hashes).length > 0) {
    problems.push('agents: two agents share one token hash; issue each agent its own token');
  }
  problems.push(...identityProblems(raw));
  const impersonating = new Map(raw.clusters.map((cluster) => [cluster.name, cluster.impersonate]));
  raw.agents.forEach((agent, index) => {
    for (const name of Object.keys(agent.kubernetes?.clusters ?? {})) {
      const field = `agents[${index}].kubernetes.clusters.${name}`;
      const impersonate = impersonating.get(name);
      if (impersonate === undefined) {
        problems.push(
          `${field}: no cluster is named ${name}; known clusters: ${[...impersonating.keys()].join(', ')}`,
        );
      } else if (!impersonate) {
        problems.push(
          `${field}: cluster ${name} has impersonate: false, so this identity would never be used; remove it or turn impersonation on`,
        );
      }
    }
  });
  raw.clusters.forEach((cluster, index) => {
    if (cluster.type !== 'eks') return;
    if (!cluster.roleArn && !env.EKS_ROLE_ARN) {
      problems.push(`clusters[${index}].roleArn: required for an eks cluster (or set EKS_ROLE_ARN)`);
    }
    if (cluster.caData && cluster.caFile) {
      problems.push(`clusters[${index}]: set caData or caFile, not both`);
    }
  });
  if (raw.gateway.holdTimeout > raw.gateway.requestTtl) {
    problems.push(
      'gateway.holdTimeout: must not exceed gateway.requestTtl (a hold cannot outlive its request)',
    );
  }
  if (raw.gateway.presenceLease < 3_000) {
    problems.push('gateway.presenceLease: must be at least 3s (it is renewed every third of it)');
  }
  if (raw.gateway.bodyTimeout <= 0) {
    problems.push('gateway.bodyTimeout: must be more than 0 (a stalled upload would hold memory forever)');
  }
  if (raw.gateway.maxHeldPerAgent > raw.gateway.maxHeld) {
    problems.push('gateway.maxHeldPerAgent: must not exceed gateway.maxHeld');
  }
  problems.push(...webhookProblems(raw));
  if (raw.gateway.bodyMemoryPerAgent > raw.gateway.bodyMemory) {
    problems.push('gateway.bodyMemoryPerAgent: must not exceed gateway.bodyMemory');
  }
  return problems;
}

type RawWebhookSink = Extract<RawConfig['audit']['sinks'][number], { type: 'webhook' }>;

/** The name a webhook's delivered position is kept under: its own, or one made from its URL (never the URL, which may hold a token). */
function webhookName(sink: RawWebhookSink): string {
  return sink.name ?? `webhook-${createHash('sha256').update(sink.url).digest('hex').slice(0, 12)}`;
}

function webhookSink(sink: RawWebhookSink): WebhookSinkConfig {
  return {
    type: 'webhook',
    name: webhookName(sink),
    url: sink.url,
    format: sink.format,
    headers: sink.headers,
    headersFromEnv: sink.headersFromEnv,
    hmacSecretEnv: sink.hmacSecretEnv,
    batchSize: sink.batchSize,
    flushIntervalMs: sink.flushInterval,
    timeoutMs: sink.timeout,
  };
}

/**
 * Webhooks read the Redis stream, so it must be kept. Their secrets are checked where they ship
 * (@gatehouse/audit), not here: `gatehouse-audit` reads this file without them.
 */
function webhookProblems(raw: RawConfig): string[] {
  const problems: string[] = [];
  const sinks = raw.audit.sinks;
  const names = new Set<string>();
  sinks.forEach((sink, index) => {
    if (sink.type !== 'webhook') return;
    const field = `audit.sinks[${index}]`;
    if (!sinks.some((other) => other.type === 'redis')) {
      problems.push(
        `${field}: a webhook sink ships from the Redis stream; add { type: redis } to audit.sinks`,
      );
    }
    const name = webhookName(sink);
    if (names.has(name))
      problems.push(`${field}.name: ${name} is used twice; give each webhook its own name`);
    names.add(name);
  });
  return problems;
}

const MATCH_EXAMPLE = 'match: { provider: eks-prod, claims: { sub: "system:serviceaccount:agents:oncall" } }';

/** Identity providers and the agents they admit: names that resolve, and no token that could be two agents. */
function identityProblems(raw: RawConfig): string[] {
  const problems: string[] = [];
  const seen = { names: new Set<string>(), issuers: new Set<string>() };
  raw.identityProviders.forEach((provider, index) => {
    const field = `identityProviders[${index}]`;
    if (seen.names.has(provider.name)) problems.push(`${field}.name: ${provider.name} is used twice`);
    if (seen.issuers.has(provider.issuer)) {
      problems.push(
        `${field}.issuer: ${provider.issuer} is configured twice; one provider per issuer (list every audience in its audiences)`,
      );
    }
    seen.names.add(provider.name);
    seen.issuers.add(provider.issuer);
    if (provider.keys.refresh > provider.keys.maxStale) {
      problems.push(
        `${field}.keys.refresh: must not exceed keys.maxStale (keys would go stale before they are fetched again)`,
      );
    }
  });
  const matchKeys = new Map<string, string>();
  raw.agents.forEach((agent, index) => {
    const field = `agents[${index}]`;
    if (!agent.tokenSha256 && !agent.match) {
      problems.push(
        `${field}: ${agent.id} has neither tokenSha256 (a static token: gatehouse-gateway token) nor match ` +
          `(an identity token), e.g. ${MATCH_EXAMPLE}`,
      );
    }
    if (!agent.match) return;
    if (!seen.names.has(agent.match.provider)) {
      const known = [...seen.names];
      problems.push(
        `${field}.match.provider: no identity provider is named ${agent.match.provider}; ` +
          (known.length > 0 ? `known: ${known.join(', ')}` : 'add it under identityProviders'),
      );
    }
    for (const [claim, pattern] of Object.entries(agent.match.claims)) {
      if (/^[*?]+$/.test(pattern)) {
        problems.push(
          `${field}.match.claims.${claim}: ${JSON.stringify(pattern)} matches every token; name the value (patterns may use * for a part)`,
        );
      }
    }
    const key = JSON.stringify([agent.match.provider, Object.entries(agent.match.claims).sort()]);
    const other = matchKeys.get(key);
    if (other) {
      problems.push(`${field}.match: the same as agent ${other}'s, so no token could be told apart`);
    }
    matchKeys.set(key, agent.id);
  });
  return problems;
}

/** Rules are checked by the policy engine itself, against the approver groups configured here. */
function validatePolicy(raw: RawConfig, source: string): PolicySpec {
  try {
    return validatePolicySpec(raw.policy, { knownGroups: Object.keys(raw.approverGroups) });
  } catch (error) {
    throw invalid(source, [(error as Error).message]);
  }
}

/** The default identity an agent acts as: a user of its own and the group every agent shares. */
const DEFAULT_AGENT_GROUPS: readonly string[] = ['gatehouse:agents'];
const defaultAgentUser = (agentId: string) => `gatehouse:agent:${agentId}`;

function agentKubernetes(agent: RawConfig['agents'][number]): AgentKubernetesConfig {
  const {
    user = defaultAgentUser(agent.id),
    groups = DEFAULT_AGENT_GROUPS,
    clusters = {},
  } = agent.kubernetes ?? {};
  return {
    user,
    groups,
    clusters: Object.fromEntries(
      Object.entries(clusters).map(([name, override]) => [
        name,
        { user: override.user ?? user, groups: override.groups ?? groups },
      ]),
    ),
  };
}

function passwordSource(
  file: string | undefined,
  env: string | undefined,
  path: (value: string) => string,
): RedisPasswordSource | undefined {
  if (file !== undefined) return { file: path(file) };
  return env === undefined ? undefined : { env };
}

function redisConfig(raw: RawConfig['redis'], path: (value: string) => string, env: Env): RedisConfig {
  const { tls } = raw;
  return {
    url: env.REDIS_URL ?? raw.url ?? DEFAULT_REDIS_URL,
    keyPrefix: raw.keyPrefix,
    sentinel:
      raw.sentinels && raw.name
        ? {
            sentinels: raw.sentinels,
            name: raw.name,
            username: raw.sentinelUsername,
            password: passwordSource(raw.sentinelPasswordFile, raw.sentinelPasswordEnv, path),
            tls: raw.sentinelTls,
          }
        : undefined,
    username: raw.username,
    password: passwordSource(raw.passwordFile, raw.passwordEnv, path),
    tls: tls && {
      caFile: tls.caFile && path(tls.caFile),
      certFile: tls.certFile && path(tls.certFile),
      keyFile: tls.keyFile && path(tls.keyFile),
      servername: tls.servername,
    },
    minReplicasToAck: raw.minReplicasToAck,
    ackTimeoutMs: raw.ackTimeout,
  };
}

function labelsConfig(raw: RawConfig['labels']): LabelsConfig {
  return {
    staleAfterMs: raw.staleAfter,
    listPageSize: raw.listPageSize,
    objectReadTimeoutMs: raw.objectReadTimeout,
    maxObjectReads: raw.maxObjectReads,
  };
}

function normalise(raw: RawConfig, policy: PolicySpec, baseDir: string, env: Env): GatehouseConfig {
  const path = (value: string) =>
    isAbsolute(value) ? value : resolve(baseDir, value.replace(/^~(?=\/)/, env.HOME ?? '~'));
  const tls = raw.gateway.tls;
  return {
    redis: redisConfig(raw.redis, path, env),
    gateway: {
      host: raw.gateway.listen.host,
      port: raw.gateway.listen.port,
      publicUrl: raw.gateway.publicUrl,
      tls:
        tls.mode === 'files'
          ? { mode: 'files', certFile: path(tls.certFile), keyFile: path(tls.keyFile) }
          : tls.mode === 'self-signed'
            ? { mode: 'self-signed', dir: path(tls.dir) }
            : tls,
      holdTimeoutMs: raw.gateway.holdTimeout,
      requestTtlMs: raw.gateway.requestTtl,
      grantTtlMs: raw.gateway.grantTtl,
      presenceLeaseMs: raw.gateway.presenceLease,
      maxBodyBytes: raw.gateway.maxBodySize,
      previewTimeoutMs: raw.gateway.previewTimeout,
      recheckOnDispatch: raw.gateway.recheckOnDispatch,
      previewConcurrency: raw.gateway.previewConcurrency,
      previewMaxRequests: raw.gateway.previewMaxRequests,
      maxHeldPerAgent: raw.gateway.maxHeldPerAgent,
      maxHeld: raw.gateway.maxHeld,
      maxHeldBodyBytes: raw.gateway.maxHeldBodySize,
      bodyMemoryBytes: raw.gateway.bodyMemory,
      bodyMemoryPerAgentBytes: raw.gateway.bodyMemoryPerAgent,
      bodyTimeoutMs: raw.gateway.bodyTimeout,
    },
    clusters: raw.clusters.map(
      (cluster): ClusterConfig =>
        cluster.type === 'eks'
          ? {
              ...cluster,
              roleArn: cluster.roleArn ?? env.EKS_ROLE_ARN ?? '',
              caFile: cluster.caFile === undefined ? undefined : path(cluster.caFile),
            }
          : { ...cluster, kubeconfig: path(cluster.kubeconfig) },
    ),
    identityProviders: raw.identityProviders.map((provider) => ({
      name: provider.name,
      issuer: provider.issuer,
      audiences: provider.audiences,
      jwksUri: provider.jwksUri,
      algorithms: provider.algorithms,
      caFile: provider.caFile === undefined ? undefined : path(provider.caFile),
      clockSkewMs: provider.clockSkew,
      keys: {
        refreshMs: provider.keys.refresh,
        cooldownMs: provider.keys.cooldown,
        maxStaleMs: provider.keys.maxStale,
      },
    })),
    agents: raw.agents.map((agent) => ({ ...agent, kubernetes: agentKubernetes(agent) })),
    approverGroups: raw.approverGroups,
    slack: raw.slack && {
      approverChannel: raw.slack.approverChannel,
      command: raw.slack.command,
      host: raw.slack.listen.host,
      port: raw.slack.listen.port,
      usergroupCacheTtlMs: raw.slack.usergroupCacheTtl,
      coalesceAfter: raw.slack.coalesceAfter,
      apiUrl: raw.slack.apiUrl,
      weeklySummary: raw.slack.weeklySummary,
    },
    audit: {
      sinks: raw.audit.sinks.map((sink) => {
        if (sink.type === 'file') return { type: 'file', path: path(sink.path) };
        if (sink.type !== 'webhook') return sink;
        return webhookSink(sink);
      }),
      bodies: raw.audit.bodies,
      recordingsDir: path(raw.audit.recordingsDir),
    },
    labels: labelsConfig(raw.labels),
    ...(raw.telemetry && {
      telemetry: {
        serviceName: raw.telemetry.serviceName,
        otlp: {
          endpoint: raw.telemetry.otlp.endpoint,
          headers: raw.telemetry.otlp.headers,
          headersFromEnv: raw.telemetry.otlp.headersFromEnv,
          timeoutMs: raw.telemetry.otlp.timeout,
        },
      },
    }),
    policy,
  };
}
