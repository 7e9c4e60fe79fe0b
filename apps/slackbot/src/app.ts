import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApprovals } from '@gatehouse/approvals';
import type { GatehouseConfig, SlackConfig } from '@gatehouse/config';
import { App, HTTPReceiver, SocketModeReceiver } from '@slack/bolt';
import type { RetryOptions } from '@slack/web-api';
import { Redis } from 'ioredis';
import { type Logger, pino } from 'pino';
import { type Clock, createApproverCheck } from './approvers/index.js';
import { auditTrailIn } from './audit-trail.js';
import { boltLogger } from './bolt-logger.js';
import { createCommandService } from './command/index.js';
import { InvalidOptionsError, NotConfiguredError } from './errors.js';
import { createRequestGuard, type SeenStore } from './guard/index.js';
import { createSlackHttpServer } from './http-server.js';
import { messageLink } from './links.js';
import { registerListeners } from './listeners/index.js';
import { createNotifier } from './notify/index.js';
import type { ApprovalsPort, AuditPort, AuditTrailPort } from './ports.js';
import { createPoster } from './post/index.js';
import { createRefresher } from './refresh/index.js';
import { createVoteService } from './votes/index.js';
import { startWorkers, type Workers } from './workers.js';

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
  readonly audit?: AuditPort | undefined;
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
  const ownApprovals = options.approvals
    ? undefined
    : createApprovals({
        redis: config.redis.url,
        prefix: config.redis.keyPrefix,
        requestTtlMs: config.gateway.requestTtlMs,
        grantTtlMs: config.gateway.grantTtlMs,
        onError: (error) => log.error({ err: error }, 'approvals background error'),
      });
  const approvals: ApprovalsPort = options.approvals ?? ownApprovals!;
  const connection = new Redis(config.redis.url, { maxRetriesPerRequest: null, lazyConnect: true });
  const socketMode = Boolean(secrets.appToken);
  const bolt = boltLogger(log);

  // Workers block on this connection (BullMQ wants no per-request retry limit); the request guard
  // and /healthz use their own, which fails fast when Redis is down.
  const redis = new Redis(config.redis.url, { lazyConnect: true, maxRetriesPerRequest: 2 });
  // WebClient appends the method name to this URL, so it must end with a slash.
  const slackApiUrl = slack.apiUrl && !slack.apiUrl.endsWith('/') ? `${slack.apiUrl}/` : slack.apiUrl;
  const healthy = async () => (await redis.ping()) === 'PONG';
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
  const votes = createVoteService({ approvals, approvers, audit: options.audit, log });
  const commands = createCommandService({
    approvals,
    trail: options.trail ?? auditTrailIn(redis, config.redis.keyPrefix),
    link,
    command: slack.command,
    pageSize,
    now: () => (options.clock ?? Date).now(),
    log,
  });
  registerListeners(app, { votes, commands, command: slack.command, log });
  app.error(async (error) => {
    log.error({ err: error }, 'unhandled error in a Slack listener');
  });

  let workers: Workers | undefined;
  let server: Server | undefined;

  return {
    mode: socketMode ? 'socket' : 'http',
    async start() {
      await app.init();
      const auth = await app.client.auth.test();
      workspaceUrl = auth.url ?? '';
      await connection.connect();
      const poster = createPoster({ approvals, client: app.client, channel: slack.approverChannel, log });
      const notifier = createNotifier({
        approvals,
        client: app.client,
        audit: options.audit,
        log,
        permalink: link,
      });
      const refresher = createRefresher({
        approvals,
        client: app.client,
        log,
        // Refresh jobs only run once the workers exist, so `workers` is set by then.
        onDecided: async (approval) => workers?.notifyOnce(approval.id),
      });
      workers = startWorkers(
        connection,
        approvals.queueNames,
        { post: poster, refresh: refresher, notify: notifier },
        { concurrency: options.concurrency ?? 4, log },
      );
      await redis.connect();
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
        healthy,
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
      await connection.quit().catch(() => connection.disconnect());
      await redis.quit().catch(() => redis.disconnect());
      await ownApprovals?.close();
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
