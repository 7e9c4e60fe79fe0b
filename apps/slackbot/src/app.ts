import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Consumers, createApprovals, startConsumers } from '@gatehouse/approvals';
import { type AuditOutbox, auditKeys, readPolicyStats } from '@gatehouse/audit';
import type { GatehouseConfig, SlackConfig } from '@gatehouse/config';
import type { Clock } from '@gatehouse/lifecycle';
import {
  connectRedis,
  createRedisClient,
  createRedisHealth,
  type RedisHealth,
  RedisUnreachableError as SharedRedisUnreachableError,
} from '@gatehouse/redis';
import { App, HTTPReceiver, SocketModeReceiver } from '@slack/bolt';
import type { RetryOptions } from '@slack/web-api';
import type { Redis } from 'ioredis';
import { type Logger, pino } from 'pino';
import { createApproverCheck } from './approvers/index.js';
import { auditTrailIn } from './audit-trail.js';
import { boltLogger } from './bolt-logger.js';
import { createBurstUpdater } from './burst/index.js';
import { createPromoter } from './burst/promoter.js';
import { createReviewService } from './burst/review.js';
import { createCommandService } from './command/index.js';
import { InvalidOptionsError, NotConfiguredError, RedisUnreachableError } from './errors.js';
import { createRequestGuard, type SeenStore } from './guard/index.js';
import { createSlackHttpServer } from './http-server.js';
import { messageLink } from './links.js';
import { registerListeners } from './listeners/index.js';
import { createNotifier } from './notify/index.js';
import type { ApprovalsPort, AuditTrailPort } from './ports.js';
import { createPoster } from './post/index.js';
import { createRefresher } from './refresh/index.js';
import { checkSlack } from './slack-check.js';
import { startWeeklySummary, type WeeklySummary } from './summary/index.js';
import type { VoteTracer } from './tracing/index.js';
import { createVoteService } from './votes/index.js';

export interface SlackSecrets {
  readonly botToken: string;
  readonly signingSecret: string;
  /** An app-level token (xapp-…) switches to Socket Mode. */
  readonly appToken?: string | undefined;
}

export interface SlackbotOptions {
  readonly config: GatehouseConfig;
  readonly secrets: SlackSecrets;
  /** @defaultValue a store created from `config.redis` and `config.gateway` TTLs, closed on stop */
  readonly approvals?: ApprovalsPort | undefined;
  /** Moves the approvals store's transition events into the audit chain (`AuditLog` fits). */
  readonly audit?: AuditOutbox | undefined;
  /** @defaultValue the audit log's events in Redis (`@gatehouse/audit`), under `redis.keyPrefix` */
  readonly trail?: AuditTrailPort | undefined;
  readonly logger?: Logger | undefined;
  /**
   * WebClient retries for network errors, 5xx and 429 (429 waits Retry-After first).
   * @defaultValue five retries in about five minutes
   */
  readonly retryConfig?: RetryOptions | undefined;
  /** Per Slack API call. @defaultValue 10_000 */
  readonly slackTimeoutMs?: number | undefined;
  /** @defaultValue 10 */
  readonly pendingPageSize?: number | undefined;
  /** Time for ages and expiries in `pending` (pass the approvals store's clock). @defaultValue the system clock */
  readonly clock?: Clock | undefined;
  /** Jobs handled at once per queue. @defaultValue 4 */
  readonly concurrency?: number | undefined;
  /**
   * Where every Redis connection's errors go (an outage is logged once; /healthz answers 503 during
   * it). Pass one to share it with other connections of the process and to act when it gives up.
   * @defaultValue one that pings the bot's own client and only logs when it gives up
   */
  readonly redisHealth?: RedisHealth | undefined;
  /** Vote spans (tracing/otel.ts), when `telemetry` is configured; the caller closes it. */
  readonly tracer?: VoteTracer | undefined;
}

export interface Slackbot {
  readonly mode: 'http' | 'socket';
  /** Starts listening (HTTP: slack.host:port; the port actually bound is returned) and consuming jobs. */
  start(): Promise<{ readonly port: number | undefined }>;
  stop(): Promise<void>;
}

/**
 * Five retries over about five minutes, jittered (WebClient's own default keeps going for ~30 minutes,
 * far past any held kubectl request). BullMQ retries the job after that, with its own backoff.
 */
const DEFAULT_RETRY: RetryOptions = {
  retries: 5,
  factor: 3.86,
  minTimeout: 1_000,
  maxTimeout: 120_000,
  randomize: true,
};

/** Slack's request path for events, interactivity and slash commands (the manifest points here). */
export const EVENTS_PATH = '/slack/events';

/** Builds the bot: Bolt app (signature verification always on), listeners, and the queue workers. */
export function createSlackbot(options: SlackbotOptions): Slackbot {
  const { config, secrets } = options;
  const slack: SlackConfig | undefined = config.slack;
  if (!slack) throw new NotConfiguredError('the configuration');
  const pageSize = options.pendingPageSize ?? 10;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 40) {
    throw new InvalidOptionsError(`pendingPageSize must be 1..40 (Slack shows 50 blocks), got ${pageSize}`);
  }
  const log = options.logger ?? pino({ name: 'gatehouse-slackbot' });
  // The request guard, /healthz and the audit trail use this one; it fails fast while Redis is down.
  const redis = createRedisClient(config.redis, { maxRetriesPerRequest: 2 });
  const health =
    options.redisHealth ??
    createRedisHealth({
      redis: config.redis,
      ping: () => redis.ping(),
      log,
      readiness: '/healthz answers 503',
      onGiveUp: () => undefined,
    });
  health.watch(redis, 'Redis client');
  const ownApprovals = options.approvals
    ? undefined
    : createApprovals({
        redis: config.redis,
        prefix: config.redis.keyPrefix,
        requestTtlMs: config.gateway.requestTtlMs,
        grantTtlMs: config.gateway.grantTtlMs,
        audit: options.audit,
        onError: (error) => {
          if (!health.report(error)) log.error({ err: error }, 'approvals background error');
        },
      });
  const approvals: ApprovalsPort = options.approvals ?? ownApprovals!;
  // Workers block on this connection (BullMQ wants no per-request retry limit).
  const connection = createRedisClient(config.redis, { maxRetriesPerRequest: null });
  health.watch(connection, 'BullMQ connection');
  const socketMode = Boolean(secrets.appToken);
  const bolt = boltLogger(log);

  // WebClient appends the method name to this URL, so it must end with a slash.
  const slackApiUrl = slack.apiUrl && !slack.apiUrl.endsWith('/') ? `${slack.apiUrl}/` : slack.apiUrl;
  const receiver = socketMode
    ? new SocketModeReceiver({
        appToken: secrets.appToken ?? '',
        logger: bolt,
        // Where apps.connections.open is asked for the socket URL.
        installerOptions: { clientOptions: { slackApiUrl } },
      })
    : new HTTPReceiver({
        signingSecret: secrets.signingSecret,
        endpoints: [EVENTS_PATH],
        logger: bolt,
        // Verification stays on: Bolt checks the signature again after our guard.
        signatureVerification: true,
      });
  const app = new App({
    token: secrets.botToken,
    receiver,
    logger: bolt,
    deferInitialization: true,
    clientOptions: {
      slackApiUrl,
      retryConfig: options.retryConfig ?? DEFAULT_RETRY,
      timeout: options.slackTimeoutMs ?? 10_000,
      rejectRateLimitedCalls: false,
    },
  });
  let workspaceUrl = '';
  const link = (approval: Parameters<typeof messageLink>[1]) =>
    workspaceUrl ? messageLink(workspaceUrl, approval) : undefined;

  const approvers = createApproverCheck({
    groups: config.approverGroups,
    agents: config.agents,
    cacheTtlMs: slack.usergroupCacheTtlMs,
    directory: {
      async members(usergroup) {
        const result = await app.client.usergroups.users.list({ usergroup });
        return result.users ?? [];
      },
    },
  });
  const votes = createVoteService({ approvals, approvers, log, tracer: options.tracer });
  const commands = createCommandService({
    approvals,
    trail: options.trail ?? auditTrailIn(redis, config.redis.keyPrefix),
    link,
    command: slack.command,
    pageSize,
    now: () => (options.clock ?? Date).now(),
    log,
  });
  const postForReview = createReviewService({ approvals, approvers, log });
  registerListeners(app, { votes, commands, postForReview, command: slack.command, log });
  app.error(async (error) => {
    log.error({ err: error }, 'unhandled error in a Slack listener');
  });

  let workers: Consumers | undefined;
  let summary: WeeklySummary | undefined;
  let server: Server | undefined;

  return {
    mode: socketMode ? 'socket' : 'http',
    async start() {
      // Redis first: without it nothing can be posted or decided, so say so before touching Slack.
      try {
        await connectRedis(config.redis, redis);
        await connectRedis(config.redis, connection);
      } catch (error) {
        if (!(error instanceof SharedRedisUnreachableError)) throw error;
        throw new RedisUnreachableError(error.message, { cause: error });
      }
      const auth = await checkSlack({
        token: secrets.botToken,
        slackApiUrl,
        timeoutMs: options.slackTimeoutMs ?? 10_000,
      });
      workspaceUrl = auth.url ?? '';
      await app.init();
      const { coalesceAfter } = slack;
      const channel = slack.approverChannel;
      const poster = createPoster({ approvals, client: app.client, channel, coalesceAfter, log });
      const bursts = createBurstUpdater({ approvals, client: app.client, channel, coalesceAfter, log });
      const promoteAfter = createPromoter({ approvals, coalesceAfter });
      const notifier = createNotifier({
        approvals,
        client: app.client,
        log,
        permalink: link,
      });
      const refresher = createRefresher({ approvals, client: app.client, log });
      workers = startConsumers(
        connection,
        approvals.queueNames,
        {
          post: poster,
          async refresh(job) {
            const outcome = await refresher(job.data.id);
            // A refresh follows every transition, from whichever process made it: the moment to
            // give a freed place to the agent's oldest waiting request.
            await promoteAfter(job.data.id);
            return outcome;
          },
          notify: notifier,
          burst: bursts,
        },
        {
          concurrency: options.concurrency ?? 4,
          onFailed: (error, job) =>
            log.warn(
              { err: error, queue: job.queue, job: job.name, approvalId: job.id, attempt: job.attempt },
              'slack job failed; BullMQ retries it with backoff',
            ),
          watch: (worker, source) => health.watch(worker, source),
        },
      );
      summary = await startWeeklySummary({
        connection,
        prefix: config.redis.keyPrefix,
        schedule: slack.weeklySummary,
        stats: (sinceMs) => readPolicyStats(redis, auditKeys(config.redis.keyPrefix), sinceMs),
        async post(message) {
          await app.client.chat.postMessage({ channel, text: message.text, blocks: message.blocks });
        },
        now: () => (options.clock ?? Date).now(),
        onFailed: (error, attempt) =>
          log.warn({ err: error, attempt }, 'weekly summary failed; BullMQ retries it with backoff'),
        watch: (emitter, source) => health.watch(emitter, source),
      });
      if (receiver instanceof SocketModeReceiver) await app.start();
      server = createSlackHttpServer({
        slack:
          receiver instanceof HTTPReceiver
            ? {
                path: EVENTS_PATH,
                guard: createRequestGuard({
                  signingSecret: secrets.signingSecret,
                  seen: seenIn(redis, config.redis.keyPrefix),
                }),
                bolt: receiver.requestListener,
              }
            : undefined,
        healthy: () => health.ready(),
        log,
      });
      await new Promise<void>((resolve, reject) => {
        server?.once('error', reject);
        server?.listen(slack.port, slack.host, resolve);
      });
      return { port: (server.address() as AddressInfo).port };
    },
    async stop() {
      if (socketMode) await app.stop().catch(() => undefined);
      if (server) {
        const closing = server;
        server = undefined;
        closing.closeAllConnections();
        await new Promise((resolve) => closing.close(resolve));
      }
      await workers?.close();
      workers = undefined;
      await summary?.close();
      summary = undefined;
      await connection.quit().catch(() => connection.disconnect());
      await redis.quit().catch(() => redis.disconnect());
      await ownApprovals?.close();
      if (!options.redisHealth) health.close();
    },
  };
}

/** Accepted Slack signatures, shared by every replica through Redis. */
function seenIn(redis: Redis, keyPrefix: string): SeenStore {
  return {
    async firstSeen(key, ttlMs) {
      return (await redis.set(`${keyPrefix}:slackbot:seen:${key}`, '1', 'PX', ttlMs, 'NX')) === 'OK';
    },
  };
}
