#!/usr/bin/env node
import { createAuditLog } from '@gatehouse/audit';
import { loadConfig } from '@gatehouse/config';
import { pino } from 'pino';
import { createSlackbot, EVENTS_PATH } from './app.js';
import { NotConfiguredError } from './errors.js';
import { secretsFromEnv } from './secrets.js';

/** `gatehouse-slackbot`: GATEHOUSE_CONFIG for the file, SLACK_* secrets from the environment. */
async function main(env: NodeJS.ProcessEnv): Promise<void> {
  const configPath = env.GATEHOUSE_CONFIG ?? 'gatehouse.yaml';
  const config = loadConfig(configPath, env);
  if (!config.slack) throw new NotConfiguredError(configPath);
  const secrets = secretsFromEnv(env);
  const slack = { ...config.slack, apiUrl: env.SLACK_API_URL || config.slack.apiUrl };
  const logger = pino({ name: 'gatehouse-slackbot', level: env.LOG_LEVEL ?? 'info' });
  const audit = createAuditLog({
    redis: config.redis.url,
    prefix: config.redis.keyPrefix,
    sinks: config.audit.sinks,
    bodies: config.audit.bodies,
    recordingsDir: config.audit.recordingsDir,
  });
  const bot = createSlackbot({ config: { ...config, slack }, secrets, audit, logger });
  const { port } = await bot.start();

  const where =
    bot.mode === 'socket'
      ? `Socket Mode; /healthz on port ${port}`
      : `HTTP mode on http://${slack.host}:${port}; Slack request URL path ${EVENTS_PATH}; /healthz`;
  // The readiness line scripts and tests wait for.
  process.stdout.write(`gatehouse-slackbot ready: ${where}; posting to ${slack.approverChannel}\n`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    await bot.stop();
    await audit.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main(process.env).catch((error: unknown) => {
  process.stderr.write(`gatehouse-slackbot: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
