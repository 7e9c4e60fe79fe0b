import type { AddressInfo } from 'node:net';
import type { AuditEventInput } from '@gatehouse/audit';
import { type AgentConfig, runAsOn } from '@gatehouse/config';
import pino from 'pino';
import { createAuthenticator, hashToken } from '../auth/index.js';
import type { LabelsPort } from '../labels/index.js';
import { createLimits, type LimitSettings } from '../limits/index.js';
import { createMetrics, type MetricSources } from '../metrics/index.js';
import type { GatewayContext, PolicyPort } from '../ports.js';
import { createGatewayServer } from '../server/index.js';
import type { ClusterUpstream } from '../upstream/index.js';
import { createFakeApprovals } from './fake-approvals.js';
import { fakePolicy } from './fake-policy.js';
import { startRecordingUpstream } from './recording-upstream.js';

export const AGENT_TOKEN = 'agent-token-1';
/** A second agent with an identity of its own, for impersonation tests. */
export const OTHER_AGENT_TOKEN = 'agent-token-2';

const AGENTS: AgentConfig[] = [
  {
    id: 'agent-1',
    tokenSha256: hashToken(AGENT_TOKEN),
    owners: ['U0OWNER'],
    kubernetes: { user: 'gatehouse:agent:agent-1', groups: ['gatehouse:agents'], clusters: {} },
  },
  {
    id: 'agent-2',
    tokenSha256: hashToken(OTHER_AGENT_TOKEN),
    owners: ['U0OWNER'],
    kubernetes: { user: 'team:deployer', groups: ['team:deployers', 'gatehouse:agents'], clusters: {} },
  },
];

/** Generous limits, so only tests about limits meet them. */
const HARNESS_LIMITS: LimitSettings = {
  maxHeldPerAgent: 100,
  maxHeld: 100,
  maxHeldBodyBytes: 1024 * 1024,
  bodyMemoryBytes: 64 * 1024 * 1024,
  bodyMemoryPerAgentBytes: 64 * 1024 * 1024,
  bodyTimeoutMs: 10_000,
  previewConcurrency: 4,
  previewMaxRequests: 32,
};

/** A gateway over plain HTTP with fake policy and approvals in front of a recording upstream. */
export async function startPipelineHarness(
  options: {
    holdTimeoutMs?: number;
    maxBodyBytes?: number;
    handler?: Parameters<typeof startRecordingUpstream>[0];
    policy?: PolicyPort;
    labels?: LabelsPort;
    limits?: Partial<LimitSettings>;
    /** `clusters[].impersonate` of the one cluster, `test`. @defaultValue true */
    impersonate?: boolean;
    metricSources?: MetricSources;
    /** The one cluster as the gateway sees it, e.g. with slow credentials. */
    wrapUpstream?: (upstream: ClusterUpstream) => ClusterUpstream;
  } = {},
) {
  const upstream = await startRecordingUpstream(options.handler);
  const approvals = createFakeApprovals();
  const audit: AuditEventInput[] = [];
  const metrics = createMetrics(options.metricSources);
  const ctx: GatewayContext = {
    clusters: new Map([['test', options.wrapUpstream?.(upstream.upstream) ?? upstream.upstream]]),
    authenticate: createAuthenticator({
      agents: AGENTS,
      clock: { now: () => Date.now() },
      logger: pino({ level: 'silent' }),
    }).authenticate,
    runAs: (agent, cluster) =>
      runAsOn(agent, {
        name: cluster,
        type: 'kubeconfig',
        kubeconfig: '',
        impersonate: options.impersonate ?? true,
      }),
    policy: options.policy ?? fakePolicy,
    labels: options.labels,
    approvals: approvals.port,
    audit: {
      record: async (event) => {
        audit.push(event);
      },
    },
    metrics,
    logger: pino({ level: 'silent' }),
    clock: { now: () => Date.now() },
    replicaId: 'replica-a',
    holdTimeoutMs: options.holdTimeoutMs ?? 60_000,
    grantTtlMs: 600_000,
    maxBodyBytes: options.maxBodyBytes ?? 1024,
    limits: createLimits({ ...HARNESS_LIMITS, ...options.limits }),
  };
  const gateway = createGatewayServer(ctx, { tls: undefined, ready: async () => true });
  const server = gateway.server;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    port: (server.address() as AddressInfo).port,
    ctx,
    /** Client connections the gateway has open now. */
    connections: () =>
      new Promise<number>((resolve, reject) =>
        server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
      ),
    upstream,
    approvals,
    audit,
    metrics,
    async stop() {
      await gateway.close();
      await upstream.stop();
    },
  };
}
