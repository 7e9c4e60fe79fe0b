#!/usr/bin/env node
import { createAuditLog } from '@gatehouse/audit';
import { loadConfig } from '@gatehouse/config';
import {
  connectRedis,
  createRedisHealth,
  RedisUnreachableError as SharedRedisUnreachableError,
} from '@gatehouse/redis';
import { pino } from 'pino';
import { createSlackbot, EVENTS_PATH } from './app.js';
import { NotConfiguredError, RedisLostError, RedisUnreachableError } from './errors.js';
import { secretsFromEnv } from './secrets.js';

/** `gatehouse-slackbot`: GATEHOUSE_CONFIG for the file, SLACK_* secrets from the environment. */
async function main(env: NodeJS.ProcessEnv): Promise<void> {
  const configPath = env.GATEHOUSE_CONFIG ?? 'gatehouse.yaml';
  const config = loadConfig(configPath, env);
  if (!config.slack) throw new NotConfiguredError(configPath);
  const secrets = secretsFromEnv(env);
  const slack = { ...config.slack, apiUrl: env.SLACK_API_URL || config.slack.apiUrl };
  const logger = pino({ name: 'gatehouse-slackbot', level: env.LOG_LEVEL ?? 'info' });
  // Before anything else connects: a bot without Redis stops at once and says why.
  const redis = await connectRedis(config.redis).catch((error: unknown) => {
    if (!(error instanceof SharedRedisUnreachableError)) throw error;
    throw new RedisUnreachableError(error.message, { cause: error });
  });
  let stop: (signal: string, exitCode?: number) => Promise<void> = async () => process.exit(1);
  const redisHealth = createRedisHealth({
    redis: config.redis,
    ping: () => redis.ping(),
    log: logger,
    readiness: '/healthz answers 503',
    // Stop, so the supervisor (compose, Kubernetes) restarts the bot once Redis is back.
    onGiveUp: (lost) => {
      const error = new RedisLostError(lost.message, { cause: lost });
      process.stderr.write(`gatehouse-slackbot: ${error.code}: ${error.message}\n`);
      void stop('redis lost', 1);
    },
  });
  redisHealth.watch(redis, 'audit log');
  const audit = createAuditLog({
    redis,
    prefix: config.redis.keyPrefix,
    sinks: config.audit.sinks,
    bodies: config.audit.bodies,
    recordingsDir: config.audit.recordingsDir,
  });
  // Without `telemetry` the OpenTelemetry SDK is never loaded.
  const tracer = config.telemetry
    ? (await import('./tracing/otel.js')).createOtelVoteTracer(config.telemetry, env)
    : undefined;
  const bot = createSlackbot({ config: { ...config, slack }, secrets, audit, logger, redisHealth, tracer });
  const { port } = await bot.start();

  const where =
    bot.mode === 'socket'
      ? `Socket Mode; /healthz on port ${port}`
      : `HTTP mode on http://${slack.host}:${port}; Slack request URL path ${EVENTS_PATH}; /healthz`;
  // The readiness line scripts and tests wait for.
  process.stdout.write(`gatehouse-slackbot ready: ${where}; posting to ${slack.approverChannel}\n`);

  let stopping = false;
  stop = async (signal, exitCode = 0) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    redisHealth.close();
    await bot.stop().catch(() => undefined);
    await tracer?.close().catch(() => undefined);
    await audit.close().catch(() => undefined);
    redis.disconnect();
    process.exit(exitCode);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main(process.env).catch((error: unknown) => {
  const coded = error as { code?: unknown; message?: unknown };
  const code = typeof coded.code === 'string' ? `${coded.code}: ` : '';
  process.stderr.write(`gatehouse-slackbot: ${code}${String(coded.message ?? error)}\n`);
  process.exit(1);
});
