import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, ConfigErrorCode } from './errors.js';
import { loadConfig, parseConfig } from './load.js';

const HASH = 'a'.repeat(64);
const base = {
  clusters: [{ name: 'local', type: 'kubeconfig', kubeconfig: 'kube/config', context: 'kind-kind' }],
  agents: [{ id: 'agent-oncall', tokenSha256: HASH, owners: ['U0ALICE'] }],
};

function configError(document: unknown, env: Record<string, string> = {}): ConfigError {
  try {
    parseConfig(document, { baseDir: '/etc/gatehouse', env });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError, got a valid config');
}

describe('parseConfig redis', () => {
  it('takes Sentinel, an ACL user, a password file and TLS files, resolving paths', () => {
    const config = parseConfig(
      {
        ...base,
        redis: {
          sentinels: ['sentinel-0:26379', '10.0.0.7:26380'],
          name: 'gatehouse',
          username: 'gatehouse',
          passwordFile: 'secrets/redis-password',
          sentinelUsername: 'sentinel-reader',
          sentinelPasswordFile: 'secrets/sentinel-password',
          sentinelTls: true,
          tls: { caFile: 'tls/ca.pem', certFile: 'tls/client.pem', keyFile: 'tls/client.key' },
          minReplicasToAck: 2,
          ackTimeout: '250ms',
        },
      },
      { baseDir: '/etc/gatehouse', env: {} },
    );
    expect(config.redis).toEqual({
      url: 'redis://127.0.0.1:6379',
      keyPrefix: 'gatehouse',
      sentinel: {
        sentinels: [
          { host: 'sentinel-0', port: 26379 },
          { host: '10.0.0.7', port: 26380 },
        ],
        name: 'gatehouse',
        username: 'sentinel-reader',
        password: { file: '/etc/gatehouse/secrets/sentinel-password' },
        tls: true,
      },
      username: 'gatehouse',
      password: { file: '/etc/gatehouse/secrets/redis-password' },
      tls: {
        caFile: '/etc/gatehouse/tls/ca.pem',
        certFile: '/etc/gatehouse/tls/client.pem',
        keyFile: '/etc/gatehouse/tls/client.key',
      },
      minReplicasToAck: 2,
      ackTimeoutMs: 250,
    });
  });

  it('names the key and the fix for each conflicting or incomplete setting', () => {
    const issues = (redis: object) => configError({ ...base, redis }).issues;
    expect(issues({ url: 'redis://r:6379', sentinels: ['s:26379'], name: 'm' })).toEqual([
      'redis: set redis.url or redis.sentinels, not both (Sentinel tells where the primary is)',
    ]);
    expect(issues({ sentinels: ['s:26379'] })).toEqual([
      'redis: redis.sentinels and redis.name go together, e.g. sentinels: [sentinel-0:26379], name: mymaster',
    ]);
    expect(issues({ passwordFile: '/p', passwordEnv: 'P' })).toEqual([
      'redis: set redis.passwordFile or redis.passwordEnv, not both',
    ]);
    expect(
      issues({ sentinels: ['s:26379'], name: 'm', sentinelPasswordFile: '/p', sentinelPasswordEnv: 'P' }),
    ).toEqual(['redis: set redis.sentinelPasswordFile or redis.sentinelPasswordEnv, not both']);
    expect(issues({ sentinelPasswordEnv: 'P' })).toEqual([
      'redis: redis.sentinelUsername, sentinelPasswordFile/Env and sentinelTls apply only with redis.sentinels',
    ]);
    expect(issues({ tls: { certFile: 'c.pem' } })).toEqual([
      'redis.tls: a client certificate needs both certFile and keyFile',
    ]);
    expect(issues({ sentinels: ['sentinel-0'], name: 'm' })).toEqual([
      'redis.sentinels[0]: expected host:port, got "sentinel-0"',
    ]);
    expect(issues({ minReplicasToAck: -1 })[0]).toMatch(/^redis\.minReplicasToAck: /);
  });
});

describe('parseConfig', () => {
  it('fills defaults and resolves relative paths against the config directory', () => {
    const config = parseConfig(base, { baseDir: '/etc/gatehouse', env: {} });
    expect(config.redis).toEqual({
      url: 'redis://127.0.0.1:6379',
      keyPrefix: 'gatehouse',
      minReplicasToAck: 'auto',
      ackTimeoutMs: 1000,
    });
    expect(config.gateway).toEqual({
      host: '0.0.0.0',
      port: 8443,
      publicUrl: undefined,
      tls: { mode: 'self-signed', dir: '/etc/gatehouse/.gatehouse/tls' },
      holdTimeoutMs: 270_000,
      requestTtlMs: 1_800_000,
      grantTtlMs: 600_000,
      presenceLeaseMs: 30_000,
      maxBodyBytes: 3 * 1024 * 1024,
      previewTimeoutMs: 3_000,
      recheckOnDispatch: true,
      previewConcurrency: 4,
      previewMaxRequests: 32,
      maxHeldPerAgent: 20,
      maxHeld: 200,
      maxHeldBodyBytes: 1536 * 1024,
      bodyMemoryBytes: 128 * 1024 * 1024,
      bodyMemoryPerAgentBytes: 32 * 1024 * 1024,
      bodyTimeoutMs: 30_000,
    });
    expect(config.clusters[0]).toEqual({
      name: 'local',
      type: 'kubeconfig',
      kubeconfig: '/etc/gatehouse/kube/config',
      context: 'kind-kind',
      impersonate: true,
    });
    expect(config.audit).toEqual({
      sinks: [{ type: 'redis' }],
      bodies: 'hash',
      recordingsDir: '/etc/gatehouse/.gatehouse/recordings',
    });
    expect(config.slack).toBeUndefined();
  });

  it('reads the design sketch, durations, sizes, slack and an eks cluster with the role from EKS_ROLE_ARN', () => {
    const config = parseConfig(
      {
        ...base,
        redis: { url: 'redis://redis:6379' },
        gateway: {
          listen: '127.0.0.1:9443',
          holdTimeout: '5m',
          requestTtl: '30m',
          grantTtl: '90s',
          maxBodySize: '512KiB',
          previewTimeout: 0,
        },
        clusters: [
          {
            name: 'prod',
            type: 'eks',
            server: 'https://ABC.gr7.us-east-1.eks.amazonaws.com',
            region: 'us-east-1',
            clusterName: 'prod',
          },
        ],
        approverGroups: { 'sre-oncall': { slackUsergroup: 'S0SRE' }, leads: { members: ['U0BOB'] } },
        slack: { approverChannel: 'C0APPROVALS', listen: '[::1]:3000' },
      },
      {
        baseDir: '/',
        env: { EKS_ROLE_ARN: 'arn:aws:iam::123456789012:role/gatehouse', REDIS_URL: 'redis://other:6380' },
      },
    );
    expect(config.gateway).toMatchObject({
      host: '127.0.0.1',
      port: 9443,
      holdTimeoutMs: 300_000,
      grantTtlMs: 90_000,
      maxBodyBytes: 524_288,
      previewTimeoutMs: 0,
    });
    expect(config.clusters[0]).toMatchObject({
      type: 'eks',
      roleArn: 'arn:aws:iam::123456789012:role/gatehouse',
    });
    expect(config.redis.url).toBe('redis://other:6380');
    expect(config.slack).toEqual({
      approverChannel: 'C0APPROVALS',
      command: '/gatehouse',
      host: '::1',
      port: 3000,
      usergroupCacheTtlMs: 60_000,
      coalesceAfter: 5,
      apiUrl: undefined,
      weeklySummary: undefined,
    });
  });

  it('slack.weeklySummary: opt-in, Mondays at 09:00 UTC unless told otherwise', () => {
    const slack = { approverChannel: 'C0APPROVALS' };
    const parse = (weeklySummary: unknown) =>
      parseConfig({ ...base, slack: { ...slack, weeklySummary } }, { baseDir: '/', env: {} }).slack
        ?.weeklySummary;
    expect(parse({})).toEqual({ cron: '0 9 * * 1', timezone: 'UTC' });
    expect(parse({ cron: '30 8 * * 5', timezone: 'Europe/Berlin' })).toEqual({
      cron: '30 8 * * 5',
      timezone: 'Europe/Berlin',
    });
    expect(parse({ cron: '@weekly' })).toEqual({ cron: '@weekly', timezone: 'UTC' });
  });

  it('names a slack.weeklySummary cron or time zone that cannot schedule, and an unknown field', () => {
    const slack = { approverChannel: 'C0APPROVALS' };
    const issues = (weeklySummary: unknown) =>
      configError({ ...base, slack: { ...slack, weeklySummary } }).issues;
    expect(issues({ cron: '0 25 * * 1' })).toEqual([
      'slack.weeklySummary.cron: "0 25 * * 1" is not a cron pattern (Constraint error, got value 25 expected range 0-23); e.g. "0 9 * * 1" (Mondays at 09:00)',
    ]);
    expect(issues({ cron: '* * * * * *' })).toEqual([
      'slack.weeklySummary.cron: "* * * * * *" has 6 fields; use five: minute hour day-of-month month day-of-week, e.g. "0 9 * * 1" (Mondays at 09:00)',
    ]);
    expect(issues({ timezone: 'Europe/Atlantis' })).toEqual([
      'slack.weeklySummary.timezone: "Europe/Atlantis" is not an IANA time zone; e.g. UTC, Europe/Berlin, America/New_York',
    ]);
    expect(issues({ every: '7d' })).toEqual(['slack.weeklySummary: unknown field every']);
  });

  it('names slack.coalesceAfter when it is not a whole number of at least 1', () => {
    const slack = { approverChannel: 'C0APPROVALS' };
    expect(configError({ ...base, slack: { ...slack, coalesceAfter: 0 } }).issues).toEqual([
      "slack.coalesceAfter: at least 1: how many of one agent's pending requests have their own message at once",
    ]);
    expect(configError({ ...base, slack: { ...slack, coalesceAfter: 2.5 } }).issues).toEqual([
      'slack.coalesceAfter: a whole number of requests',
    ]);
    expect(configError({ ...base, slack: { ...slack, coalesceAfter: '5' } }).issues).toEqual([
      'slack.coalesceAfter: Invalid input: expected number, received string',
    ]);
  });

  it('names an unknown cluster type', () => {
    const error = configError({ ...base, clusters: [{ name: 'x', type: 'gke' }] });
    expect(error.code).toBe(ConfigErrorCode.Invalid);
    expect(error.issues).toContain('clusters[0].type: unknown cluster type: expected "eks" or "kubeconfig"');
  });

  it('requires a role ARN for eks clusters when EKS_ROLE_ARN is unset', () => {
    const error = configError({
      ...base,
      clusters: [
        {
          name: 'prod',
          type: 'eks',
          server: 'https://x.eks.amazonaws.com',
          region: 'eu-west-1',
          clusterName: 'prod',
        },
      ],
    });
    expect(error.issues).toEqual(['clusters[0].roleArn: required for an eks cluster (or set EKS_ROLE_ARN)']);
  });

  it('names a missing required field with an example, not zod\'s "received undefined"', () => {
    const error = configError({
      clusters: [{ name: 'kind', type: 'kubeconfig' }],
      agents: [{ tokenSha256: HASH }],
      slack: {},
    });
    expect(error.issues).toEqual([
      'clusters[0].kubeconfig: required field missing; for example kubeconfig: ~/.kube/config',
      'agents[0].id: required field missing; for example id: agent-oncall',
      'slack.approverChannel: required field missing; for example approverChannel: C0123ABCD (the channel id, from the channel details in Slack)',
    ]);
    expect(error.message).not.toContain('received undefined');
  });

  it('says an empty YAML field (null) has no value, with an example', () => {
    const error = configError({ ...base, agents: [{ id: 'agent-oncall', tokenSha256: null, owners: [] }] });
    expect(error.issues).toEqual([
      'agents[0].tokenSha256: no value given (empty in the YAML); for example tokenSha256: <hash printed by gatehouse-gateway token --agent <id>>',
    ]);
  });

  it('says a field of the wrong type is wrong, not missing', () => {
    const error = configError({ ...base, slack: { approverChannel: 42 } });
    expect(error.issues).toEqual(['slack.approverChannel: Invalid input: expected string, received number']);
  });

  it('names unknown fields instead of ignoring typos', () => {
    const error = configError({ ...base, agents: [{ id: 'a', tokenSha256: HASH, owner: ['U0X'] }] });
    expect(error.issues).toEqual(['agents[0]: unknown field owner']);
  });

  it('reports every bad field at once', () => {
    const error = configError({
      ...base,
      gateway: { holdTimeout: 'ten minutes', listen: 'nohost' },
      agents: [{ id: 'a', tokenSha256: 'not-a-hash' }],
      approverGroups: { sre: { slackUsergroup: 'S1', members: ['U1'] } },
    });
    expect(error.issues).toEqual(
      expect.arrayContaining([
        'gateway.listen: expected host:port, got "nohost"',
        'gateway.holdTimeout: not a duration: "ten minutes" (use e.g. 30s, 10m, 1h)',
        'agents[0].tokenSha256: the lower-case hex SHA-256 of the token (gatehouse-gateway hash-token)',
        'approverGroups.sre: an approver group is either { slackUsergroup: S… } or { members: [U…] }',
      ]),
    );
    expect(error.message).toContain('invalid configuration in config:');
  });

  it('refuses limits that cannot hold: no body timeout, a presence lease too short to renew, a per-agent share above the total', () => {
    const error = configError({
      clusters: base.clusters,
      gateway: {
        bodyTimeout: 0,
        presenceLease: '1s',
        maxHeldPerAgent: 300,
        maxHeld: 200,
        bodyMemory: '8MiB',
        bodyMemoryPerAgent: '16MiB',
      },
    });
    expect(error.issues).toEqual([
      'gateway.presenceLease: must be at least 3s (it is renewed every third of it)',
      'gateway.bodyTimeout: must be more than 0 (a stalled upload would hold memory forever)',
      'gateway.maxHeldPerAgent: must not exceed gateway.maxHeld',
      'gateway.bodyMemoryPerAgent: must not exceed gateway.bodyMemory',
    ]);
  });

  it('refuses duplicate names, shared tokens and a hold longer than the request lives', () => {
    const error = configError({
      clusters: [base.clusters[0], base.clusters[0]],
      agents: [
        { id: 'a', tokenSha256: HASH },
        { id: 'b', tokenSha256: HASH },
      ],
      gateway: { holdTimeout: '2h', requestTtl: '1h' },
    });
    expect(error.issues).toEqual([
      'clusters: the name local is used twice',
      'agents: two agents share one token hash; issue each agent its own token',
      'gateway.holdTimeout: must not exceed gateway.requestTtl (a hold cannot outlive its request)',
    ]);
  });

  it('reads a webhook audit sink with its defaults, a name that keeps the URL out of Redis keys, and env names only', () => {
    const config = parseConfig(
      {
        ...base,
        audit: {
          sinks: [
            { type: 'redis' },
            {
              type: 'webhook',
              url: 'https://siem.example.com/ingest?token=abc',
              format: 'k8s-audit',
              headersFromEnv: { Authorization: 'SIEM_AUTH' },
              hmacSecretEnv: 'SIEM_KEY',
              flushInterval: '2s',
            },
          ],
        },
      },
      { baseDir: '/etc/gatehouse', env: {} },
    );
    const webhook = config.audit.sinks[1];
    expect(webhook).toEqual({
      type: 'webhook',
      name: expect.stringMatching(/^webhook-[0-9a-f]{12}$/),
      url: 'https://siem.example.com/ingest?token=abc',
      format: 'k8s-audit',
      headers: {},
      headersFromEnv: { Authorization: 'SIEM_AUTH' },
      hmacSecretEnv: 'SIEM_KEY',
      batchSize: 500,
      flushIntervalMs: 2000,
      timeoutMs: 10_000,
    });
  });

  it('refuses a webhook sink without the Redis stream it ships from, or two with one name', () => {
    const hook = { type: 'webhook', name: 'siem', url: 'https://siem.example.com/' };
    expect(configError({ ...base, audit: { sinks: [hook] } }).issues).toEqual([
      'audit.sinks[0]: a webhook sink ships from the Redis stream; add { type: redis } to audit.sinks',
    ]);
    expect(configError({ ...base, audit: { sinks: [{ type: 'redis' }, hook, hook] } }).issues).toEqual([
      'audit.sinks[2].name: siem is used twice; give each webhook its own name',
    ]);
    expect(
      configError({ ...base, audit: { sinks: [{ type: 'redis' }, { ...hook, url: 'ftp://x' }] } }).issues,
    ).toEqual(['audit.sinks[1].url: an http:// or https:// URL, e.g. https://siem.example.com/gatehouse']);
  });

  it('reads telemetry with its defaults, and is off without it', () => {
    expect(parseConfig(base, { baseDir: '/etc/gatehouse', env: {} }).telemetry).toBeUndefined();
    const config = parseConfig(
      {
        ...base,
        telemetry: {
          otlp: { endpoint: 'http://otel-collector:4318', headersFromEnv: { Authorization: 'OTLP_AUTH' } },
        },
      },
      { baseDir: '/etc/gatehouse', env: {} },
    );
    expect(config.telemetry).toEqual({
      serviceName: undefined,
      otlp: {
        endpoint: 'http://otel-collector:4318',
        headers: {},
        headersFromEnv: { Authorization: 'OTLP_AUTH' },
        timeoutMs: 10_000,
      },
    });
    expect(configError({ ...base, telemetry: { otlp: { endpoint: 'otel:4318' } } }).issues).toEqual([
      'telemetry.otlp.endpoint: an http:// or https:// URL, e.g. http://otel-collector:4318',
    ]);
  });

  it('needs at least one cluster', () => {
    expect(configError({}).issues).toEqual([
      'clusters: required field missing; for example clusters: [{ name: kind, type: kubeconfig, kubeconfig: ~/.kube/config }]',
    ]);
    expect(configError({ ...base, clusters: [] }).issues).toEqual([
      'clusters: at least one cluster is needed',
    ]);
  });
});

describe('loadConfig', () => {
  it('reads YAML from a file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-config-'));
    const file = join(dir, 'gatehouse.yaml');
    writeFileSync(file, 'clusters:\n  - { name: local, type: kubeconfig, kubeconfig: ./kubeconfig }\n');
    expect(loadConfig(file, {}).clusters[0]).toMatchObject({ kubeconfig: join(dir, 'kubeconfig') });
  });

  it('says which file it could not read and how to point at another', () => {
    expect(() => loadConfig('/nonexistent/gatehouse.yaml', {})).toThrow(
      /cannot read config file \/nonexistent\/gatehouse.yaml: ENOENT; set GATEHOUSE_CONFIG/,
    );
  });

  it('reports YAML syntax errors with the file name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-config-'));
    const file = join(dir, 'gatehouse.yaml');
    writeFileSync(file, 'clusters: [\n');
    expect(() => loadConfig(file, {})).toThrow(
      expect.objectContaining({ code: ConfigErrorCode.InvalidYaml }),
    );
  });
});

describe('policy section', () => {
  it('is validated by the policy engine against the configured approver groups', () => {
    const config = parseConfig(
      {
        ...base,
        approverGroups: { 'sre-oncall': { members: ['U0BOB'] } },
        policy: {
          rules: [
            {
              name: 'prod-delete',
              match: { verbs: ['delete'], namespaces: ['prod-*'] },
              require: { group: 'sre-oncall', approvals: 1 },
            },
          ],
        },
      },
      { baseDir: '/', env: {} },
    );
    expect(config.policy.rules.map((rule) => rule.name)).toEqual(['prod-delete']);
  });

  it('names the rule and field of a bad rule, including an unknown approver group', () => {
    const error = configError({
      ...base,
      policy: {
        rules: [
          { name: 'prod-exec', match: { verbs: ['exec'] }, require: { group: 'nobody', approvals: 1 } },
        ],
      },
    });
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]).toMatch(
      /"prod-exec" \(rules\[0\]\): require.group: approver group "nobody" is not in approverGroups/,
    );
  });

  it("keeps an allow rule's auditLevel and refuses one that would lower the record of held requests", () => {
    const groups = { approverGroups: { 'sre-oncall': { members: ['U0BOB'] } } };
    const quiet = {
      name: 'kube-system-reads',
      match: { verbs: ['get', 'list'], namespaces: ['kube-system'] },
      auditLevel: 'None',
      allow: {},
    };
    const config = parseConfig({ ...base, ...groups, policy: { rules: [quiet] } }, { baseDir: '/', env: {} });
    expect(config.policy.rules[0]?.auditLevel).toBe('None');

    const error = configError({
      ...base,
      ...groups,
      policy: {
        rules: [
          quiet,
          {
            name: 'kube-system-deletes',
            match: { verbs: ['delete'], namespaces: ['kube-system'] },
            auditLevel: 'Metadata',
            require: { group: 'sre-oncall' },
          },
        ],
      },
    });
    expect(error.code).toBe(ConfigErrorCode.Invalid);
    expect(error.issues).toEqual([
      expect.stringMatching(
        /^policy rule "kube-system-deletes" \(rules\[1\]\): auditLevel: Metadata would lower the audit record, which only an enforced allow rule may do; this rule holds requests for approval/,
      ),
    ]);
  });
});
