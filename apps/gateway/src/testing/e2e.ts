import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Approvals, createApprovals } from '@gatehouse/approvals';
import { parseConfig } from '@gatehouse/config';
import { writeKubeconfig } from '@gatehouse/testkit/ca';
import { type KubeUpstream, startKubeUpstream } from '@gatehouse/testkit/kube-upstream';
import { waitUntil } from '@gatehouse/testkit/processes';
import { type TestRedis, testRedis } from '@gatehouse/testkit/redis';
import { pino } from 'pino';
import { hashToken } from '../auth/index.js';
import { renderKubeconfig } from '../cli/kubeconfig.js';
import { type RunningGateway, startGateway } from '../startup/index.js';

export const AGENT = { id: 'agent-oncall', token: 'gh_agent-oncall-token', owners: ['U0ALICE'] };
/** A second agent with a configured Kubernetes identity (AGENT runs as the default one). */
export const DEPLOY_AGENT = {
  id: 'agent-deploy',
  token: 'gh_agent-deploy-token',
  owners: ['U0DAN'],
  kubernetes: { user: 'ci:deployer', groups: ['ci:deployers', 'gatehouse:agents'] },
};
export const UPSTREAM_TOKEN = 'upstream-service-account-token';

/** The policy the end-to-end tests run: what the scenarios need, nothing more. */
export const E2E_POLICY = {
  default: 'allow',
  rules: [
    {
      name: 'namespace-delete',
      match: { verbs: ['delete'], resources: ['namespaces'] },
      require: { group: 'sre', approvals: 1, reason: 'deleting a namespace deletes everything in it' },
    },
    {
      name: 'prod-exec',
      match: { verbs: ['exec', 'attach', 'portforward'], namespaces: ['prod-*'] },
      require: { group: 'sre', approvals: 1 },
    },
    {
      name: 'no-secrets',
      match: { resources: ['secrets'], verbs: ['get', 'list'] },
      deny: { reason: 'agents never read secrets' },
    },
  ],
};

export interface E2eOptions {
  readonly replicas?: number;
  readonly holdTimeout?: string;
  readonly requestTtl?: string;
  readonly grantTtl?: string;
  /** gateway.previewTimeout. @defaultValue '0s' (no previews) */
  readonly previewTimeout?: string;
  /** The policy section. @defaultValue E2E_POLICY */
  readonly policy?: unknown;
}

async function build(options: E2eOptions, cleanups: (() => Promise<unknown>)[]) {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-e2e-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  // kubectl caches discovery per server URL in ~/.kube/cache; other tests on this machine reuse
  // loopback ports, so each run gets its own cache (the kubectl helpers pass process.env on).
  process.env.KUBECACHEDIR = join(dir, 'kube-cache');
  const redis: TestRedis = await testRedis();
  cleanups.push(() => redis.cleanup());
  const upstream: KubeUpstream = await startKubeUpstream({ auth: { bearerToken: UPSTREAM_TOKEN } });
  cleanups.push(() => upstream.close());
  const upstreamKubeconfig = writeKubeconfig({
    server: upstream.url,
    caPem: upstream.caPem!,
    credentials: { token: UPSTREAM_TOKEN },
    dir,
    name: 'upstream',
  });
  const document = {
    redis: { url: redis.url, keyPrefix: redis.prefix },
    gateway: {
      listen: '127.0.0.1:0',
      tls: { mode: 'self-signed', dir: join(dir, 'tls') },
      holdTimeout: options.holdTimeout ?? '2m',
      requestTtl: options.requestTtl ?? '30m',
      grantTtl: options.grantTtl ?? '10m',
      // Previews add read-only traffic and a dry run upstream; suites about previews turn them on.
      previewTimeout: options.previewTimeout ?? '0s',
    },
    clusters: [{ name: 'kind', type: 'kubeconfig', kubeconfig: upstreamKubeconfig.path }],
    agents: [
      { id: AGENT.id, tokenSha256: hashToken(AGENT.token), owners: AGENT.owners },
      {
        id: DEPLOY_AGENT.id,
        tokenSha256: hashToken(DEPLOY_AGENT.token),
        owners: DEPLOY_AGENT.owners,
        kubernetes: DEPLOY_AGENT.kubernetes,
      },
    ],
    approverGroups: { sre: { members: ['U0BOB', 'U0CAROL'] } },
    audit: { sinks: [{ type: 'redis' }], recordingsDir: join(dir, 'recordings') },
    policy: options.policy ?? E2E_POLICY,
  };
  const config = parseConfig(document, { baseDir: dir, env: {} });
  const logger = pino({ level: process.env.GATEHOUSE_TEST_LOG ?? 'silent' });
  const gateways: RunningGateway[] = [];
  for (let i = 0; i < (options.replicas ?? 1); i++) {
    const gateway = await startGateway({ config, env: {}, logger: logger.child({ replica: i }) });
    cleanups.push(() => gateway.close());
    gateways.push(gateway);
  }
  const caPem = await readFile(gateways[0]!.caFile!, 'utf8');
  const kubeconfigs: string[] = [];
  for (const [i, gateway] of gateways.entries()) {
    const path = join(dir, `agent-${i}.kubeconfig`);
    await writeFile(
      path,
      renderKubeconfig({ agent: AGENT.id, cluster: 'kind', server: gateway.url, token: AGENT.token, caPem }),
    );
    kubeconfigs.push(path);
  }
  const deployKubeconfig = join(dir, 'agent-deploy.kubeconfig');
  await writeFile(
    deployKubeconfig,
    renderKubeconfig({
      agent: DEPLOY_AGENT.id,
      cluster: 'kind',
      server: gateways[0]!.url,
      token: DEPLOY_AGENT.token,
      caPem,
    }),
  );
  const badKubeconfig = join(dir, 'bad.kubeconfig');
  await writeFile(
    badKubeconfig,
    renderKubeconfig({
      agent: AGENT.id,
      cluster: 'kind',
      server: gateways[0]!.url,
      token: 'not-a-token',
      caPem,
    }),
  );
  // The slackbot's side: votes go through the approvals package like its click handlers do.
  const slackbot: Approvals = createApprovals({
    redis: redis.url,
    prefix: redis.prefix,
    requestTtlMs: config.gateway.requestTtlMs,
    grantTtlMs: config.gateway.grantTtlMs,
    sweepIntervalMs: 0,
  });
  cleanups.push(() => slackbot.close());

  return {
    dir,
    config,
    redis,
    upstream,
    gateways,
    /** Agent kubeconfig per gateway replica. */
    kubeconfigs,
    kubeconfig: kubeconfigs[0]!,
    /** DEPLOY_AGENT's kubeconfig for the first replica. */
    deployKubeconfig,
    badKubeconfig,
    caPem,
    slackbot,
    /** Every audit event, in chain order (read straight from the audit stream). */
    async auditEvents(): Promise<Record<string, unknown>[]> {
      const entries = await redis.redis.xrange(`${redis.prefix}:audit:log`, '-', '+');
      return entries.map(
        ([, fields]) => JSON.parse(fields[fields.indexOf('e') + 1] ?? '{}') as Record<string, unknown>,
      );
    },
    /** Types of the audit events of one approval, in chain order (read straight from the audit stream). */
    async auditTypes(approvalId: string): Promise<string[]> {
      const entries = await redis.redis.xrange(`${redis.prefix}:audit:log`, '-', '+');
      return entries
        .map(
          ([, fields]) =>
            JSON.parse(fields[fields.indexOf('e') + 1] ?? '{}') as { type: string; approvalId?: string },
        )
        .filter((event) => event.approvalId === approvalId)
        .map((event) => event.type);
    },
    /** Pending approvals, oldest first. */
    async pending() {
      const page = await slackbot.listPending({ limit: 10 });
      return page.items;
    },
    /** Waits for the one pending approval the running kubectl caused. */
    async onePendingApproval() {
      const [approval] = await waitUntil(
        'a pending approval',
        async () => {
          const page = await slackbot.listPending({ limit: 10 });
          return page.items.length === 1 && page.items;
        },
        20_000,
      );
      return approval!;
    },
    async stop() {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    },
  };
}

export type E2e = Awaited<ReturnType<typeof build>>;

/**
 * The real thing on loopback: a recording Kubernetes API (TLS, bearer auth), gateways with
 * a self-signed CA in a temp dir sharing one Redis prefix, an agent kubeconfig made by the
 * gateway's own kubeconfig renderer, and an approvals client acting as the slackbot.
 * Whatever was started is stopped again when a later step fails.
 */
export async function startE2e(options: E2eOptions = {}): Promise<E2e> {
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    return await build(options, cleanups);
  } catch (error) {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    throw error;
  }
}
