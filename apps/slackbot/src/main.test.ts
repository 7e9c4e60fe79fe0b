import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { testPrefix } from '@gatehouse/testkit/redis';
import { type SlackApiFake, startSlackApi } from '@gatehouse/testkit/slack-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deleteKeys, REDIS_URL } from './test-support/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '../../..');
let dir: string;
let slack: SlackApiFake;
let child: ChildProcess | undefined;
let prefix: string;

function useConfig({ redis }: { redis: string }) {
  writeFileSync(
    join(dir, 'gatehouse.yaml'),
    [
      `redis: { url: "${redis}", keyPrefix: ${prefix} }`,
      'clusters: [{ name: local, type: kubeconfig, kubeconfig: ./kubeconfig }]',
      'approverGroups: { sre: { members: [U0BOB] } }',
      'slack: { approverChannel: C0APPROVALS, listen: "127.0.0.1:0" }',
      'audit: { sinks: [{ type: redis }] }',
    ].join('\n'),
  );
}

beforeEach(async () => {
  prefix = testPrefix();
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-slackbot-'));
  slack = await startSlackApi();
  useConfig({ redis: REDIS_URL });
});
afterEach(async () => {
  // Gone before its keys are removed: a bot still running could write them again.
  if (child && child.exitCode === null && child.signalCode === null) {
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }
  child = undefined;
  await slack.close();
  rmSync(dir, { recursive: true, force: true });
  await deleteKeys(prefix);
});

/** Runs the built bot (dist/main.js, as `pnpm build` leaves it) with only the given environment. */
function run(env: Record<string, string>) {
  child = spawn(process.execPath, [join(here, '../dist/main.js')], {
    cwd: repoRoot,
    env: {
      PATH: process.env.PATH ?? '',
      GATEHOUSE_CONFIG: join(dir, 'gatehouse.yaml'),
      LOG_LEVEL: 'warn',
      ...env,
    },
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((done) => child?.on('exit', (code) => done(code)));
  return { exited, output: () => ({ stdout, stderr }) };
}

describe('gatehouse-slackbot', () => {
  it('refuses to start without a bot token, naming the variable', async () => {
    const proc = run({ SLACK_SIGNING_SECRET: 'secret' });
    expect(await proc.exited).toBe(1);
    expect(proc.output().stderr).toContain('SLACK_BOT_TOKEN is not set');
  });

  it('says a set but malformed bot token is set but is not a bot token', async () => {
    const proc = run({ SLACK_BOT_TOKEN: 'xoxp-user-token', SLACK_SIGNING_SECRET: 'secret' });
    expect(await proc.exited).toBe(1);
    expect(proc.output().stderr).toContain(
      'SLACKBOT_MALFORMED_SECRET: SLACK_BOT_TOKEN is set but is not a bot token (it starts with xoxp-, a user token)',
    );
    expect(proc.output().stderr).not.toContain('user-token');
  });

  it('exits at once with SLACKBOT_REDIS_UNREACHABLE when Redis does not answer, without ioredis noise', async () => {
    const port = await closedPort();
    useConfig({ redis: `redis://:pw@127.0.0.1:${port}` });
    const proc = run({
      SLACK_BOT_TOKEN: slack.token,
      SLACK_SIGNING_SECRET: 'secret',
      SLACK_API_URL: slack.url,
    });
    expect(await proc.exited).toBe(1);
    const { stdout, stderr } = proc.output();
    expect(stderr).toBe(
      `gatehouse-slackbot: SLACKBOT_REDIS_UNREACHABLE: cannot reach Redis at redis://:***@127.0.0.1:${port}: ` +
        `connect ECONNREFUSED 127.0.0.1:${port}; start Redis or fix redis.url in gatehouse.yaml (REDIS_URL overrides it)\n`,
    );
    expect(stdout).toBe('');
    // It stopped before asking Slack anything.
    expect(slack.calls('auth.test')).toHaveLength(0);
  });

  it('exits naming the Slack URL and the cause when the Slack API does not answer', async () => {
    const port = await closedPort();
    const proc = run({
      SLACK_BOT_TOKEN: slack.token,
      SLACK_SIGNING_SECRET: 'secret',
      SLACK_API_URL: `http://127.0.0.1:${port}/api/`,
    });
    expect(await proc.exited).toBe(1);
    const { stdout, stderr } = proc.output();
    expect(stderr).toContain(
      `SLACKBOT_SLACK_UNREACHABLE: cannot reach the Slack Web API at http://127.0.0.1:${port}/api/auth.test (connect ECONNREFUSED 127.0.0.1:${port}); check that this host can reach it`,
    );
    expect(stderr).toContain('ends with /api/');
    expect(stdout).not.toContain('http request failed');
  });

  it('says Slack refused the bot token when auth.test answers invalid_auth', async () => {
    const proc = run({
      SLACK_BOT_TOKEN: 'xoxb-not-the-fakes',
      SLACK_SIGNING_SECRET: 'secret',
      SLACK_API_URL: slack.url,
    });
    expect(await proc.exited).toBe(1);
    expect(proc.output().stderr).toContain('SLACKBOT_SLACK_REFUSED');
    expect(proc.output().stderr).toContain('refused SLACK_BOT_TOKEN (auth.test: invalid_auth)');
  });

  it('when Redis goes away: one clear line, /healthz 503, no ioredis or stack noise; healthy again once it is back', async () => {
    const redis = await startPrivateRedis();
    try {
      useConfig({ redis: redis.url });
      const proc = run({
        SLACK_BOT_TOKEN: slack.token,
        SLACK_SIGNING_SECRET: 'secret',
        SLACK_API_URL: slack.url,
        LOG_LEVEL: 'info',
      });
      await slack.waitFor(
        'the readiness line',
        () => proc.output().stdout.includes('gatehouse-slackbot ready'),
        30_000,
      );
      const port = /http:\/\/127\.0\.0\.1:(\d+)/.exec(proc.output().stdout)?.[1];
      const healthz = async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).status;
      expect(await healthz()).toBe(200);

      await redis.kill();
      await slack.waitFor('the outage line', () => proc.output().stdout.includes('lost Redis'), 30_000);
      expect(await healthz()).toBe(503);
      // Several reconnect attempts of every connection (bot, BullMQ, approvals, audit) later…
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      const during = proc.output();
      expect(during.stdout.split('\n').filter((line) => line.includes('lost Redis'))).toHaveLength(1);
      expect(during.stdout).toContain(`lost Redis at ${redis.url} (connect ECONNREFUSED`);
      expect(during.stdout + during.stderr).not.toContain('[ioredis]');
      expect(during.stdout + during.stderr).not.toMatch(/\n\s+at /);
      expect(during.stdout).not.toContain('"level":50');

      await redis.start();
      await slack.waitFor('the recovery line', () => proc.output().stdout.includes('answers again'), 30_000);
      expect(await healthz()).toBe(200);
      child?.kill('SIGTERM');
      expect(await proc.exited).toBe(0);
    } finally {
      await redis.kill();
    }
  });

  it('refuses HTTP mode without a signing secret', async () => {
    const proc = run({ SLACK_BOT_TOKEN: slack.token });
    expect(await proc.exited).toBe(1);
    expect(proc.output().stderr).toContain('SLACK_SIGNING_SECRET is not set');
  });

  it('starts against SLACK_API_URL, prints a readiness line, serves /healthz and stops on SIGTERM', async () => {
    const proc = run({
      SLACK_BOT_TOKEN: slack.token,
      SLACK_SIGNING_SECRET: 'secret',
      SLACK_API_URL: slack.url,
    });
    await slack.waitFor(
      'the readiness line',
      () => proc.output().stdout.includes('gatehouse-slackbot ready'),
      30_000,
    );
    const port = /http:\/\/127\.0\.0\.1:(\d+)/.exec(proc.output().stdout)?.[1];
    expect(proc.output().stdout).toContain('posting to C0APPROVALS');
    expect(slack.calls('auth.test').length).toBeGreaterThan(0);

    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    const unsigned = await fetch(`http://127.0.0.1:${port}/slack/events`, {
      method: 'POST',
      body: 'payload={}',
    });
    expect(unsigned.status).toBe(401);

    child?.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
  });
});

/** A port that was free a moment ago: nothing listens there. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** A redis-server of the test's own on a free port (the shared one must stay up), to stop and start. */
async function startPrivateRedis() {
  const port = await closedPort();
  const data = mkdtempSync(join(tmpdir(), 'gatehouse-slackbot-redis-'));
  let server: ChildProcess | undefined;
  const start = async () => {
    const started = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        data,
        '--save',
        '',
        '--appendonly',
        'no',
        '--logfile',
        join(data, 'log'),
      ],
      {
        stdio: 'ignore',
      },
    );
    server = started;
    for (let attempt = 0; ; attempt++) {
      const log = (() => {
        try {
          return readFileSync(join(data, 'log'), 'utf8');
        } catch {
          return '';
        }
      })();
      if (log.includes('Ready to accept connections')) return;
      if (started.exitCode !== null || attempt > 200) throw new Error(`redis-server did not start: ${log}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    start,
    async kill() {
      const running = server;
      server = undefined;
      if (!running || running.exitCode !== null) return;
      const exited = once(running, 'exit');
      running.kill('SIGKILL');
      await exited;
      rmSync(join(data, 'log'), { force: true });
    },
  };
}
