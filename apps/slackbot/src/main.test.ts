import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type SlackApiFake, startSlackApi } from '@gatehouse/testkit/slack-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deleteKeys, REDIS_URL } from './test-support/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '../../..');
let dir: string;
let slack: SlackApiFake;
let child: ChildProcess | undefined;
const prefix = `slackbot-main-${process.pid}`;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-slackbot-'));
  slack = await startSlackApi();
  writeFileSync(
    join(dir, 'gatehouse.yaml'),
    [
      `redis: { url: "${REDIS_URL}", keyPrefix: ${prefix} }`,
      'clusters: [{ name: local, type: kubeconfig, kubeconfig: ./kubeconfig }]',
      'approverGroups: { sre: { members: [U0BOB] } }',
      'slack: { approverChannel: C0APPROVALS, listen: "127.0.0.1:0" }',
      'audit: { sinks: [{ type: redis }] }',
    ].join('\n'),
  );
});
afterEach(async () => {
  child?.kill('SIGKILL');
  child = undefined;
  await slack.close();
  rmSync(dir, { recursive: true, force: true });
  await deleteKeys([`${prefix}:*`, `bull:${prefix}-*`]);
});

/** Runs src/main.ts from source (no build needed) with only the given environment. */
function run(env: Record<string, string>) {
  child = spawn(
    process.execPath,
    ['--conditions=@gatehouse/source', '--import', 'tsx', join(here, 'main.ts')],
    {
      cwd: repoRoot,
      env: {
        PATH: process.env.PATH ?? '',
        GATEHOUSE_CONFIG: join(dir, 'gatehouse.yaml'),
        LOG_LEVEL: 'warn',
        ...env,
      },
    },
  );
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
