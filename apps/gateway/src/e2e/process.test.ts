import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Approvals, createApprovals } from '@gatehouse/approvals';
import { writeKubeconfig } from '@gatehouse/testkit/ca';
import { type KubeUpstream, namespace, startKubeUpstream } from '@gatehouse/testkit/kube-upstream';
import {
  type ManagedProcess,
  runKubectl,
  startKubectl,
  startNode,
  waitUntil,
} from '@gatehouse/testkit/processes';
import { type TestRedis, testRedis } from '@gatehouse/testkit/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../auth/index.js';

/** The built CLI, as `gatehouse-gateway` runs it (`pnpm test` builds first). */
const CLI = join(dirname(fileURLToPath(import.meta.url)), '../../dist/cli/index.js');
const TOKEN = 'gh_process-test-token';
const UPSTREAM_TOKEN = 'upstream-token';

let dir: string;
let redis: TestRedis;
let upstream: KubeUpstream;
let slackbot: Approvals;
let config: string;
let kubeconfig: string;

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

function serve(): Promise<ManagedProcess> {
  return startNode(CLI, {
    args: ['serve', '--config', config],
    env: { LOG_LEVEL: 'info' },
    ready: { line: /gateway listening/ },
    name: 'gatehouse-gateway',
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-process-'));
  // Discovery cached by another test's server on a reused loopback port must not leak in.
  process.env.KUBECACHEDIR = join(dir, 'kube-cache');
  redis = await testRedis();
  upstream = await startKubeUpstream({ auth: { bearerToken: UPSTREAM_TOKEN } });
  const upstreamConfig = writeKubeconfig({
    server: upstream.url,
    caPem: upstream.caPem!,
    credentials: { token: UPSTREAM_TOKEN },
    dir,
    name: 'upstream',
  });
  const port = await freePort();
  config = join(dir, 'gatehouse.yaml');
  await writeFile(
    config,
    [
      `redis: { url: "${redis.url}", keyPrefix: "${redis.prefix}" }`,
      `gateway: { listen: "127.0.0.1:${port}", tls: { mode: self-signed, dir: "${join(dir, 'tls')}" }, holdTimeout: 2m, previewTimeout: 0 }`,
      `clusters:\n  - { name: kind, type: kubeconfig, kubeconfig: "${upstreamConfig.path}" }`,
      `agents:\n  - { id: agent-oncall, tokenSha256: ${hashToken(TOKEN)}, owners: [U0ALICE] }`,
      'approverGroups: { sre: { members: [U0BOB] } }',
      `audit: { sinks: [{ type: redis }], recordingsDir: "${join(dir, 'rec')}" }`,
      'policy:\n  default: allow\n  rules:\n    - { name: ns-delete, match: { verbs: [delete], resources: [namespaces] }, require: { group: sre } }',
    ].join('\n'),
  );
  slackbot = createApprovals({
    redis: redis.url,
    prefix: redis.prefix,
    requestTtlMs: 1_800_000,
    grantTtlMs: 600_000,
    sweepIntervalMs: 0,
  });
});

afterAll(async () => {
  await slackbot?.close();
  await upstream?.close();
  await redis?.cleanup();
  await rm(dir, { recursive: true, force: true });
});

describe('the gatehouse-gateway process', () => {
  it('serves kubectl with a kubeconfig it printed itself, and stops on SIGTERM', async () => {
    const gateway = await serve();
    const url = JSON.parse(
      gateway
        .output()
        .split('\n')
        .find((line) => line.includes('gateway listening'))!,
    ).url;
    kubeconfig = join(dir, 'agent.kubeconfig');
    const printed = execFileSync(
      process.execPath,
      [
        CLI,
        'kubeconfig',
        '--config',
        config,
        '--agent',
        'agent-oncall',
        '--cluster',
        'kind',
        '--token',
        '-',
        '--server',
        url,
      ],
      { input: TOKEN, encoding: 'utf8' },
    );
    await writeFile(kubeconfig, printed);
    const result = await runKubectl(['get', 'namespaces'], { kubeconfig });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(gateway.output()).not.toContain(TOKEN);
    expect((await gateway.stop()).code).toBe(0);
  });

  it('sends nothing for a request whose gateway died while it was held; the retry passes once via the grant', async () => {
    upstream.store.put(namespace('payments-staging'));
    const first = await serve();
    const held = startKubectl(['delete', 'namespace', 'payments-staging'], { kubeconfig });
    const [approval] = await waitUntil('a pending approval', async () => {
      const page = await slackbot.listPending({ limit: 5 });
      return page.items.length === 1 && page.items;
    });
    process.kill(first.pid, 'SIGKILL'); // no graceful close
    await first.exited;
    await held.kill();

    expect((await slackbot.vote(approval!.id, { userId: 'U0BOB', decision: 'approve' })).outcome).toBe(
      'approved',
    );
    const second = await serve();
    const deletes = () =>
      upstream.received({ method: 'DELETE', path: '/api/v1/namespaces/payments-staging' });
    expect(deletes()).toEqual([]);

    const retry = await runKubectl(['delete', 'namespace', 'payments-staging'], { kubeconfig });
    expect(retry.stderr).toBe('');
    expect(retry.code).toBe(0);
    expect(deletes()).toHaveLength(1);
    expect((await slackbot.get(approval!.id))?.dispatch).toMatchObject({ via: 'grant' });
    await second.stop();
  });
});
