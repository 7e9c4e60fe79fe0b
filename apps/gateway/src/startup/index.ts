import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { createApprovals } from '@gatehouse/approvals';
import { createAuditLog } from '@gatehouse/audit';
import { type GatehouseConfig, runAsOn } from '@gatehouse/config';
import { systemClock } from '@gatehouse/lifecycle';
import { compilePolicy, labelsNeeded, parseAction, renderCommand } from '@gatehouse/policy';
import { describeRedis } from '@gatehouse/redis';
import type { Logger } from 'pino';
import { GatewayError, GatewayErrorCode } from '../errors.js';
import { GatewayLabels } from '../labels/index.js';
import { createLimits } from '../limits/index.js';
import { createMetrics } from '../metrics/index.js';
import type { GatewayContext } from '../ports.js';
import { createGatewayServer } from '../server/index.js';
import { watchKeyPair } from '../server-tls/index.js';
import { type ClusterUpstream, createClusterUpstream } from '../upstream/index.js';
import { prepareAuthenticator } from './identity.js';
import { connectRedis } from './redis.js';
import { prepareServerTls } from './tls.js';

export interface RunningGateway {
  /** Where the gateway listens, e.g. `https://127.0.0.1:8443`. */
  readonly url: string;
  readonly replicaId: string;
  /** The CA agents must trust, when the gateway generated its certificate. */
  readonly caFile: string | undefined;
  close(): Promise<void>;
}

export interface StartOptions {
  readonly config: GatehouseConfig;
  readonly env: NodeJS.ProcessEnv;
  readonly logger: Logger;
}

/**
 * Checks everything that can be wrong before serving (policy, clusters, Redis, TLS), each
 * failure a coded error naming the thing and the fix, then listens.
 */
export async function startGateway({ config, env, logger }: StartOptions): Promise<RunningGateway> {
  const policy = compilePolicy(config.policy, { knownGroups: Object.keys(config.approverGroups) });
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  const closeAll = async () => {
    for (const cleanup of cleanups.splice(0).reverse())
      await Promise.resolve(cleanup()).catch(() => undefined);
  };
  try {
    const clusters = new Map<string, ClusterUpstream>();
    for (const cluster of config.clusters) {
      const upstream = await createClusterUpstream(cluster, {
        env,
        logger: logger.child({ cluster: cluster.name }),
      });
      clusters.set(cluster.name, upstream);
      cleanups.push(() => upstream.close());
    }

    const clock = { now: () => Date.now() };
    const auth = await prepareAuthenticator({
      agents: config.agents,
      identityProviders: config.identityProviders,
      clock,
      logger,
    });
    cleanups.push(() => auth.close());

    const redis = await connectRedis(config.redis);
    cleanups.push(() => redis.quit());
    const tls = await prepareServerTls(config.gateway);

    const audit = createAuditLog({
      redis,
      prefix: config.redis.keyPrefix,
      sinks: config.audit.sinks,
      bodies: config.audit.bodies,
      recordingsDir: config.audit.recordingsDir,
      onSinkError: (error, sink) => logger.error({ err: error, sink }, 'audit sink failed'),
    });
    cleanups.push(() => audit.close());
    // The SDK is loaded only when configured: with telemetry off it costs nothing, not even an import.
    const tracer = config.telemetry
      ? (await import('../tracing/otel.js')).createOtelTracer(config.telemetry, 'gatehouse-gateway', env)
      : undefined;
    if (tracer) cleanups.push(() => tracer.close());
    const approvals = createApprovals({
      redis: config.redis,
      prefix: config.redis.keyPrefix,
      requestTtlMs: config.gateway.requestTtlMs,
      grantTtlMs: config.gateway.grantTtlMs,
      presenceLeaseMs: config.gateway.presenceLeaseMs,
      // Every transition's audit event is moved into the chain by the store, in transition order.
      audit,
      onError: (error) => logger.error({ err: error }, 'approvals background task failed'),
    });
    cleanups.push(() => approvals.close());

    // Watches and reads run only where a rule reads labels; they use the gateway's own credentials.
    let labels: GatewayLabels | undefined;
    const metrics = createMetrics({
      auditSinkBacklog: () => audit.sinkBacklog(),
      namespaceCacheAges: () => labels?.ages() ?? [],
    });
    labels = new GatewayLabels({
      needed: labelsNeeded(config.policy),
      clusters,
      clock: systemClock,
      metrics,
      logger: logger.child({ component: 'labels' }),
      namespaceCache: { staleAfterMs: config.labels.staleAfterMs, listPageSize: config.labels.listPageSize },
      objects: { timeoutMs: config.labels.objectReadTimeoutMs, maxConcurrent: config.labels.maxObjectReads },
    });
    labels.start();
    cleanups.push(() => labels?.stop());

    const replicaId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    const clusterConfigs = new Map(config.clusters.map((cluster) => [cluster.name, cluster]));
    const ctx: GatewayContext = {
      tracer,
      clusters,
      authenticate: auth.authenticator.authenticate,
      runAs: (agent, cluster) => {
        const configured = clusterConfigs.get(cluster);
        return configured && runAsOn(agent, configured);
      },
      policy: { parseAction, renderCommand, decide: (context) => policy.decide(context) },
      labels: labels.active ? labels : undefined,
      approvals,
      audit: {
        record: (event) =>
          audit
            .record(event)
            .catch((error: unknown) =>
              logger.error({ err: error, event: event.type }, 'audit record failed'),
            ),
      },
      sessions: { start: (options) => audit.startRecording(options) },
      metrics,
      logger,
      clock: systemClock,
      replicaId,
      holdTimeoutMs: config.gateway.holdTimeoutMs,
      grantTtlMs: config.gateway.grantTtlMs,
      maxBodyBytes: config.gateway.maxBodyBytes,
      limits: createLimits(config.gateway),
      previewTimeoutMs: config.gateway.previewTimeoutMs,
      recheckOnDispatch: config.gateway.recheckOnDispatch,
    };

    const gateway = createGatewayServer(ctx, {
      tls: tls.pair,
      ready: async () => (await redis.ping()) === 'PONG',
    });
    cleanups.push(() => gateway.close());
    if (tls.files && tls.pair) {
      const stop = watchKeyPair(tls.files, tls.pair, (pair) => gateway.setKeyPair(pair), logger);
      cleanups.push(stop);
    }
    await new Promise<void>((resolve, reject) => {
      gateway.server.once('error', (error) =>
        reject(
          new GatewayError(
            GatewayErrorCode.ListenFailed,
            `cannot listen on ${config.gateway.host}:${config.gateway.port}: ${error.message}; change gateway.listen`,
            { cause: error },
          ),
        ),
      );
      gateway.server.listen(config.gateway.port, config.gateway.host, resolve);
    });
    const address = gateway.server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    const url = `${tls.pair ? 'https' : 'http'}://${host}:${address.port}`;

    logger.info(
      {
        url,
        replicaId,
        clusters: [...clusters.keys()],
        agents: config.agents.length,
        identityProviders: config.identityProviders.map((provider) => provider.name),
        redis: describeRedis(config.redis),
        tls: config.gateway.tls.mode,
      },
      'gateway listening',
    );
    if (tls.caFile) {
      logger.info(
        { caFile: tls.caFile, created: tls.created },
        `self-signed TLS: agents must trust the CA in ${tls.caFile} (gatehouse-gateway kubeconfig embeds it)`,
      );
    }
    if (!tls.pair)
      logger.warn('plain HTTP: kubectl sends no bearer token over http://; only run this behind a TLS proxy');
    return { url, replicaId, caFile: tls.caFile, close: closeAll };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
