import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestCa, issueServerCert, writeKubeconfig } from '@gatehouse/testkit/ca';
import { type OtlpReceiver, startOtlpReceiver } from '@gatehouse/testkit/otlp';
import { freePort } from '@gatehouse/testkit/processes';
import { type TestRedis, testRedis } from '@gatehouse/testkit/redis';
import { type SlackApiFake, startSlackApi } from '@gatehouse/testkit/slack-api';
import { stringify } from 'yaml';
import { startNginx } from './nginx.js';
import { gatewayNodeFlags } from './node-flags.js';
import { type Helper, ROOT, type Service, startBuilt, startHelper } from './processes.js';

/**
 * The product as separate processes for the benchmarks: gateway and slackbot from their built
 * dist/ (plain node, as in production), a fixed-response upstream, a bare undici proxy, and a load
 * client, each in its own process; the Slack Web API fake lives here. All on 127.0.0.1.
 */

export const CLUSTER = 'bench';
export const APPROVER = { id: 'U0BOB', name: 'bob' } as const;
const OWNER = { id: 'U0ALICE', name: 'alice' } as const;
export const APPROVER_CHANNEL = 'C0APPROVALS';
/** Agents of their own for the mixed load's reads, each with its own token (issue 17: 100 agents). */
export const READERS = 100;
const USERGROUP = 'S0SREONCALL';

/** A second measured gateway on the same Redis, upstream and policy, for an A/B in one run. */
export interface SideGateway {
  readonly service: Service;
  readonly origin: string;
}

export interface BenchStackOptions {
  /** Start the traced gateway too. */
  readonly traced?: boolean;
}

export interface BenchStack {
  readonly dir: string;
  readonly redis: TestRedis;
  readonly slack: SlackApiFake;
  readonly upstream: Helper;
  readonly bareProxy: Helper;
  /** The bare proxy as it was before stop 29: undici's request() and the body pipeline()d (bare-proxy.ts). */
  readonly barePipe: Helper;
  /** Debian's nginx proxying TLS to the same upstream: the floor under the bare Node proxy. */
  readonly nginx: Service;
  readonly gateway: Service;
  /** BENCH_BASELINE_GATEWAY=<another checkout, built>: its gateway beside this one, for an A/B in one run. */
  readonly baseline: SideGateway | undefined;
  /** The same gateway with tracing on, exporting every span to a local OTLP receiver (BenchStackOptions.traced). */
  readonly traced: (SideGateway & { readonly receiver: OtlpReceiver }) | undefined;
  readonly slackbot: Service;
  readonly load: Helper;
  readonly upstreamOrigin: string;
  readonly bareOrigin: string;
  readonly barePipeOrigin: string;
  readonly nginxOrigin: string;
  readonly gatewayOrigin: string;
  /** The slackbot's Slack request URL. */
  readonly botUrl: string;
  readonly signingSecret: string;
  /** `Authorization` for the gateway. */
  readonly agentHeaders: Record<string, string>;
  /** `Authorization` of each of the READERS agents, in the order of their ids (agent-reader-0, …). */
  readonly readerHeaders: readonly Record<string, string>[];
  /** BENCH_TLS_CA/CERT/KEY: the files of the throwaway CA and the 127.0.0.1 certificate. */
  readonly tlsEnv: Record<string, string>;
  /** A second gateway on the same Redis, serving plain HTTP as it would behind a TLS-terminating proxy. */
  startPlainGateway(): Promise<{ service: Service; origin: string }>;
  stop(): Promise<void>;
}

/** ~50 rules like a real installation: per-team rules plus the production gates. */
function policy(): unknown {
  const teams = [
    'payments',
    'search',
    'checkout',
    'identity',
    'billing',
    'ledger',
    'growth',
    'infra',
    'data',
    'mobile',
  ];
  const sre = { group: 'sre-oncall', approvals: 1 };
  return {
    default: 'allow',
    rules: [
      ...teams.flatMap((team) => [
        { name: `${team}-dev-free`, match: { namespaces: [`${team}-dev*`] }, allow: {} },
        {
          name: `${team}-prod-delete`,
          match: { verbs: ['delete', 'deletecollection'], namespaces: [`${team}-prod*`] },
          require: sre,
        },
        {
          name: `${team}-prod-exec`,
          match: { verbs: ['exec', 'attach'], namespaces: [`${team}-prod*`] },
          require: sre,
        },
        {
          name: `${team}-no-secrets-write`,
          match: { verbs: ['create', 'update', 'patch'], resources: ['secrets'], namespaces: [`${team}-*`] },
          deny: { reason: 'secrets are written by the deploy pipeline' },
        },
        {
          name: `${team}-scale-zero`,
          match: { scaleToZero: true, namespaces: [`${team}-prod*`] },
          require: sre,
        },
      ]),
      {
        name: 'namespace-delete',
        match: { verbs: ['delete', 'deletecollection'], resources: ['namespaces'] },
        require: sre,
      },
      {
        name: 'prod-delete',
        match: { verbs: ['delete', 'deletecollection'], namespaces: ['prod-*'] },
        require: sre,
      },
    ],
  };
}

/** The Redis server's pid (0 when INFO does not say): its CPU is part of what a gateway request costs. */
export async function redisServerPid(stack: BenchStack): Promise<number> {
  return Number(/^process_id:(\d+)/m.exec(await stack.redis.redis.info('server'))?.[1] ?? 0);
}

export async function startBenchStack(options: BenchStackOptions = {}): Promise<BenchStack> {
  const cleanups: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  };
  try {
    const dir = await mkdtemp(join(tmpdir(), 'gatehouse-bench-'));
    // BENCH_KEEP=1 keeps the logs and config for a look after the run.
    if (!process.env.BENCH_KEEP) cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const ca = createTestCa('gatehouse-bench-ca');
    const cert = issueServerCert(ca, { hosts: ['127.0.0.1', 'localhost'] });
    const files = {
      ca: join(dir, 'ca.pem'),
      cert: join(dir, 'server.pem'),
      key: join(dir, 'server-key.pem'),
    };
    await writeFile(files.ca, ca.certPem);
    await writeFile(files.cert, cert.certPem);
    await writeFile(files.key, cert.keyPem, { mode: 0o600 });
    const tlsEnv = { BENCH_TLS_CA: files.ca, BENCH_TLS_CERT: files.cert, BENCH_TLS_KEY: files.key };

    const redis = await testRedis();
    process.stdout.write(`  Redis key prefix ${redis.prefix} (removed at the end), logs in ${dir}\n`);
    cleanups.push(async () => {
      // BullMQ keeps its queues under bull:<queue name>; ours are named after the prefix.
      for await (const keys of redis.redis.scanStream({ match: `bull:${redis.prefix}-*`, count: 500 })) {
        if ((keys as string[]).length > 0) await redis.redis.unlink(...(keys as string[]));
      }
      await redis.cleanup();
    });

    const upstream = await startHelper('upstream', 'upstream.ts', { env: tlsEnv, logDir: dir });
    cleanups.push(() => upstream.stop());
    const upstreamPort = upstream.ready.port as number;
    const upstreamOrigin = `https://127.0.0.1:${upstreamPort}`;
    const nodeFlags = gatewayNodeFlags();
    /** bare-proxy.ts forwarding with `forward` (its BENCH_BARE_FORWARD), with the gateway's node flags. */
    const startBare = async (
      name: string,
      forward: 'stream' | 'pipe',
      extraNodeArgs: readonly string[] = [],
    ) => {
      const helper = await startHelper(name, 'bare-proxy.ts', {
        env: { ...tlsEnv, BENCH_UPSTREAM: upstreamOrigin, BENCH_BARE_FORWARD: forward },
        logDir: dir,
        measured: true,
        nodeArgs: [...nodeFlags, ...extraNodeArgs],
      });
      cleanups.push(() => helper.stop());
      return helper;
    };
    // e.g. BENCH_BARE_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof-bare", to profile both proxies in one run.
    const bareProxy = await startBare(
      'bare-proxy',
      'stream',
      process.env.BENCH_BARE_NODE_ARGS?.split(' ').filter(Boolean),
    );
    const bareOrigin = `https://127.0.0.1:${bareProxy.ready.port as number}`;
    // The floor as it was before stop 29 (request() and pipeline()), for the pass-through rows only.
    const barePipe = await startBare('bare-proxy-pipe', 'pipe');
    const nginx = await startNginx(files, upstreamPort);
    cleanups.push(() => nginx.service.stop());

    const slack = await startSlackApi({
      users: [APPROVER, OWNER],
      usergroups: { [USERGROUP]: [APPROVER.id] },
    });
    cleanups.push(() => slack.close());

    const newToken = () => `gh_${randomBytes(24).toString('base64url')}`;
    const sha256 = (token: string) => createHash('sha256').update(token).digest('hex');
    const agentToken = newToken();
    const readerTokens = Array.from({ length: READERS }, newToken);
    const signingSecret = `bench-signing-${randomBytes(8).toString('hex')}`;
    const [gatewayPort, slackbotPort] = [await freePort(), await freePort()];
    const config = {
      redis: { url: redis.url, keyPrefix: redis.prefix },
      gateway: {
        listen: `127.0.0.1:${gatewayPort}`,
        tls: { mode: 'files', certFile: files.cert, keyFile: files.key },
        holdTimeout: '10m',
        // The scale-of-pending measurement holds 10,000 requests from one agent on one replica on purpose:
        // the overload caps (gateway.maxHeldPerAgent 20, maxHeld 200 by default) would refuse them with 429.
        maxHeldPerAgent: 20_000,
        maxHeld: 20_000,
      },
      clusters: [
        {
          name: CLUSTER,
          type: 'kubeconfig',
          kubeconfig: writeKubeconfig({
            server: upstreamOrigin,
            caPem: ca.certPem,
            credentials: { token: `upstream-${randomBytes(8).toString('hex')}` },
            dir,
            name: 'upstream',
          }).path,
        },
      ],
      agents: [
        {
          id: 'agent-bench',
          tokenSha256: sha256(agentToken),
          owners: [OWNER.id],
        },
        ...readerTokens.map((token, i) => ({
          id: `agent-reader-${i}`,
          tokenSha256: sha256(token),
          owners: [OWNER.id],
        })),
      ],
      approverGroups: { 'sre-oncall': { slackUsergroup: USERGROUP } },
      slack: {
        approverChannel: APPROVER_CHANNEL,
        listen: `127.0.0.1:${slackbotPort}`,
        // The approval and pending sections measure one message per held request of one agent: a
        // coalesced burst (slack.coalesceAfter 5 by default) would post 5 and a burst message.
        coalesceAfter: 20_000,
      },
      audit: { sinks: [{ type: 'redis' }], recordingsDir: join(dir, 'recordings') },
      policy: policy(),
    };
    const configPath = join(dir, 'gatehouse.yaml');
    await writeFile(configPath, stringify(config));
    const env = {
      GATEHOUSE_CONFIG: configPath,
      // info, as in production: a log line per request is part of the cost measured.
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
      SLACK_BOT_TOKEN: slack.token,
      SLACK_SIGNING_SECRET: signingSecret,
      SLACK_API_URL: slack.url,
    };
    const gateway = await startBuilt('gateway', join(ROOT, 'apps/gateway/dist/cli/index.js'), {
      args: ['serve'],
      env,
      logDir: dir,
      ready: { port: gatewayPort },
      measured: true,
      // e.g. BENCH_GATEWAY_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the gateway.
      nodeArgs: [...nodeFlags, ...(process.env.BENCH_GATEWAY_NODE_ARGS?.split(' ').filter(Boolean) ?? [])],
    });
    cleanups.push(() => gateway.stop());
    /** `name`'s gateway from the checkout at `root`, with the stack's config and `extra` on top. */
    const startSideGateway = async (name: string, root: string, extra: object): Promise<SideGateway> => {
      const port = await freePort();
      const path = join(dir, `gatehouse-${name}.yaml`);
      await writeFile(
        path,
        stringify({ ...config, ...extra, gateway: { ...config.gateway, listen: `127.0.0.1:${port}` } }),
      );
      const service = await startBuilt(`gateway-${name}`, join(root, 'apps/gateway/dist/cli/index.js'), {
        args: ['serve'],
        // A baseline checkout runs as its own image would.
        nodeArgs: gatewayNodeFlags(join(root, 'apps/gateway/Dockerfile')),
        env: { ...env, GATEHOUSE_CONFIG: path },
        logDir: dir,
        ready: { port },
        measured: true,
      });
      cleanups.push(() => service.stop());
      return { service, origin: `https://127.0.0.1:${port}` };
    };
    const baselineRoot = process.env.BENCH_BASELINE_GATEWAY;
    const baseline = baselineRoot ? await startSideGateway('baseline', baselineRoot, {}) : undefined;
    let traced: BenchStack['traced'];
    if (options.traced) {
      const receiver = await startOtlpReceiver();
      cleanups.push(() => receiver.close());
      const side = await startSideGateway('traced', ROOT, {
        telemetry: { serviceName: 'gatehouse-gateway-bench', otlp: { endpoint: receiver.url } },
      });
      traced = { ...side, receiver };
    }
    const slackbot = await startBuilt('slackbot', join(ROOT, 'apps/slackbot/dist/main.js'), {
      env,
      logDir: dir,
      // e.g. BENCH_SLACKBOT_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof-bot" to profile the slackbot.
      nodeArgs: process.env.BENCH_SLACKBOT_NODE_ARGS?.split(' ').filter(Boolean) ?? [],
      ready: { line: /gatehouse-slackbot ready/ },
    });
    cleanups.push(() => slackbot.stop());
    const startPlainGateway = async () => {
      // The same config with TLS left to a terminating proxy in front (gateway.tls plain-http).
      const port = await freePort();
      const path = join(dir, 'gatehouse-plain.yaml');
      await writeFile(
        path,
        stringify({
          ...config,
          gateway: { ...config.gateway, listen: `127.0.0.1:${port}`, tls: { mode: 'plain-http' } },
        }),
      );
      const plain = await startBuilt('gateway-plain', join(ROOT, 'apps/gateway/dist/cli/index.js'), {
        args: ['serve'],
        nodeArgs: nodeFlags,
        env: { ...env, GATEHOUSE_CONFIG: path },
        logDir: dir,
        ready: { port },
      });
      cleanups.push(() => plain.stop());
      return { service: plain, origin: `http://127.0.0.1:${port}` };
    };
    const load = await startHelper('load', 'load.ts', { env: tlsEnv, logDir: dir });
    cleanups.push(() => load.stop());

    return {
      dir,
      redis,
      slack,
      upstream,
      bareProxy,
      barePipe,
      nginx: nginx.service,
      gateway,
      baseline,
      traced,
      slackbot,
      load,
      upstreamOrigin,
      bareOrigin,
      barePipeOrigin: `https://127.0.0.1:${barePipe.ready.port as number}`,
      nginxOrigin: nginx.origin,
      gatewayOrigin: `https://127.0.0.1:${gatewayPort}`,
      botUrl: `http://127.0.0.1:${slackbotPort}/slack/events`,
      signingSecret,
      agentHeaders: { authorization: `Bearer ${agentToken}` },
      readerHeaders: readerTokens.map((token) => ({ authorization: `Bearer ${token}` })),
      tlsEnv,
      startPlainGateway,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
