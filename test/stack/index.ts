import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { writeKubeconfig } from '@gatehouse/testkit/ca';
import { type KubeUpstream, namespace, pod, startKubeUpstream } from '@gatehouse/testkit/kube-upstream';
import {
  type BackgroundKubectl,
  freePort,
  type ManagedProcess,
  startKubectl,
  startNode,
} from '@gatehouse/testkit/processes';
import { type TestRedis, testRedis } from '@gatehouse/testkit/redis';
import {
  blockActionsPayload,
  type Clicker,
  type FakeMessage,
  type FakeUser,
  interactiveBody,
  type PostedResponse,
  postToSlackApp,
  type SlackApiFake,
  slashCommandBody,
  startSlackApi,
  viewSubmissionPayload,
} from '@gatehouse/testkit/slack-api';
import { type FakeSts, startFakeSts } from '@gatehouse/testkit/sts';
import { stringify } from 'yaml';
import { findButton, findTextInput } from './slack-clicks.js';

/**
 * The whole product on one machine, each piece in its own process where it would be in
 * production: the gateway and the slackbot run from their built dist/ entry points against the
 * shared Redis; the Kubernetes API, Slack and STS are local stand-ins that record what they saw.
 * The end-to-end suite and `pnpm demo` both drive it with the real kubectl.
 */

const ROOT = resolve(import.meta.dirname, '../..');
const GATEWAY_BIN = join(ROOT, 'apps/gateway/dist/cli/index.js');
const SLACKBOT_BIN = join(ROOT, 'apps/slackbot/dist/main.js');
const AUDIT_BIN = join(ROOT, 'packages/audit/dist/cli/main.js');
const run = promisify(execFile);

export const PEOPLE = {
  /** Owns agent-oncall: may never approve its requests. */
  alice: { id: 'U0ALICE', name: 'alice' },
  /** In sre-oncall. */
  bob: { id: 'U0BOB', name: 'bob' },
  /** In sre-oncall. */
  dave: { id: 'U0DAVE', name: 'dave' },
  /** In the workspace, not in sre-oncall. */
  carol: { id: 'U0CAROL', name: 'carol' },
} as const satisfies Record<string, Clicker>;

export const AGENT_ID = 'agent-oncall';
export const APPROVER_CHANNEL = 'C0APPROVALS';
export const SRE_USERGROUP = 'S0SREONCALL';
const SIGNING_SECRET = `stack-signing-secret-${randomBytes(8).toString('hex')}`;
const UPSTREAM_TOKEN = `stack-upstream-token-${randomBytes(8).toString('hex')}`;
const BASE_AWS_KEY = 'AKIAGATEHOUSESTACK01';

export interface StackOptions {
  /** How the gateway reaches the cluster. @defaultValue 'kubeconfig' */
  readonly clusterType?: 'kubeconfig' | 'eks';
  /** The `policy:` section. @defaultValue namespace deletes, and deletes/exec in prod-* and payments-*, need 1 approval */
  readonly policy?: Record<string, unknown>;
  /** People added to the sre-oncall Slack user group besides bob and dave. */
  readonly extraApprovers?: readonly FakeUser[];
  /** More approver groups with configured member lists. */
  readonly extraGroups?: Readonly<Record<string, readonly string[]>>;
  /** More agents (each gets its own token and kubeconfig), besides agent-oncall. */
  readonly extraAgents?: readonly { readonly id: string; readonly owners: readonly string[] }[];
  /** The `identityProviders:` section (OIDC issuers whose tokens admit agents). */
  readonly identityProviders?: readonly Record<string, unknown>[];
  /**
   * Agents admitted by identity tokens (`agents[].match`), no static token: each gets a kubeconfig
   * printed with `gatehouse-gateway kubeconfig --token-file`, so kubectl reads the file on every run.
   */
  readonly tokenFileAgents?: readonly {
    readonly id: string;
    readonly owners?: readonly string[];
    readonly match: { readonly provider: string; readonly claims: Readonly<Record<string, string>> };
  }[];
  /** More `clusters:` entries, e.g. stand-ins that misbehave. */
  readonly extraClusters?: readonly Record<string, unknown>[];
  /** Added to the `gateway:` section (holdTimeout, requestTtl, grantTtl, maxBodySize). */
  readonly gateway?: Readonly<Record<string, string | number>>;
  /** slack.usergroupCacheTtl. @defaultValue the config's default */
  readonly usergroupCacheTtl?: string;
  /**
   * slack.coalesceAfter. The suites written before coalescing share one stack across their tests,
   * leave requests of agent-oncall pending from test to test and expect each request's own message,
   * so the stack posts every one unless a suite about bursts asks for fewer. @defaultValue 1000
   */
  readonly coalesceAfter?: number;
  /** More environment for the gateway and slackbot processes (a webhook sink's secrets). */
  readonly env?: Readonly<Record<string, string>>;
  /** The `telemetry:` section (OpenTelemetry export). */
  readonly telemetry?: Readonly<Record<string, unknown>>;
  /** Added to the `audit:` section (sinks, bodies). */
  readonly audit?: Readonly<Record<string, unknown>>;
  /** Redis for the whole stack. @defaultValue REDIS_URL or the shared 127.0.0.1:6379 */
  readonly redisUrl?: string;
  /**
   * The processes find Redis through these sentinels (redis.sentinels, redis.name) instead of
   * `redisUrl`; the test's own client follows them too, so it reads the promoted primary.
   */
  readonly redisSentinel?: {
    readonly sentinels: readonly { host: string; port: number }[];
    readonly name: string;
  };
}

/** The buttons an approval message shows, by label. */
export type ButtonLabel = 'Approve' | 'Deny' | 'Show everything' | 'Post for review';

export interface Stack {
  /** The cluster's name in the gateway URL (`/clusters/<name>`). */
  readonly cluster: string;
  readonly upstream: KubeUpstream;
  readonly slack: SlackApiFake;
  readonly sts: FakeSts | undefined;
  readonly gateway: ManagedProcess;
  readonly slackbot: ManagedProcess;
  /** The agent's kubeconfig, printed by `gatehouse-gateway kubeconfig`. */
  readonly agentKubeconfig: string;
  readonly configPath: string;
  /** The EKS cluster name the upstream expects in tokens (eks stacks). */
  readonly eksClusterName: string;
  /** kubectl as the agent, in the background. */
  kubectl(args: readonly string[], timeoutMs?: number): BackgroundKubectl;
  /** Approval messages posted to the approver channel so far, oldest first. */
  approvalMessages(): FakeMessage[];
  /** The latest state of one message (after chat.update). */
  message(ts: string): FakeMessage;
  waitForMessages(count: number): Promise<FakeMessage[]>;
  /**
   * The form body Slack would send for this click (unsigned), for forging and replaying. `value`
   * picks one of several buttons with the label (a burst message's rows, by approval id).
   */
  clickBody(person: Clicker, message: FakeMessage, label: ButtonLabel, value?: string): string;
  /** A signed click on the button with this label (and value), as Slack would send it. */
  click(person: Clicker, message: FakeMessage, label: ButtonLabel, value?: string): Promise<PostedResponse>;
  /** `/gatehouse <text>` typed by `person` in the approver channel, signed as Slack sends it. */
  slash(person: Clicker, text: string): Promise<PostedResponse>;
  /** Deny, then submit the modal with a reason. */
  deny(person: Clicker, message: FakeMessage, reason: string): Promise<void>;
  /** What the bot told a clicker through response_url, newest last. */
  ephemeralReplies(): string[];
  /** The audit CLI with this stack's config. */
  audit(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  /** The stack's Redis client and key prefix. */
  readonly redis: TestRedis;
  /** `https://127.0.0.1:<port>`: the gateway, for clients other than kubectl. */
  readonly gatewayUrl: string;
  /** The CA behind the gateway's self-signed certificate. */
  readonly gatewayCaPem: string;
  /** agent id -> bearer token, agent-oncall's included. */
  readonly agentTokens: Readonly<Record<string, string>>;
  /** Where kubectl reads each `tokenFileAgents` agent's identity token (write tokens here). */
  readonly tokenFiles: Readonly<Record<string, string>>;
  /** kubectl as another agent (from `extraAgents` or `tokenFileAgents`). */
  kubectlAs(agent: string, args: readonly string[], timeoutMs?: number): BackgroundKubectl;
  /** Where the Slack app takes interactive payloads, and the secret Slack signs them with. */
  readonly slackEndpoint: { readonly url: string; readonly signingSecret: string };
  /** Rewrites gatehouse.yaml (takes effect when a process restarts). */
  updateConfig(change: (config: Record<string, unknown>) => void): Promise<void>;
  /** kill -9 (or SIGTERM with `graceful`) and wait for the exit; `gateway`/`slackbot` then name the dead process. */
  kill(which: 'gateway' | 'slackbot', options?: { graceful?: boolean }): Promise<void>;
  /**
   * Starts the process again with the current config. Like every process a test starts (testkit's
   * rule), it is stopped when that test ends: later tests call {@link Stack.ensureRunning}.
   */
  start(which: 'gateway' | 'slackbot'): Promise<void>;
  /** Starts whichever of the gateway and the slackbot is not running. */
  ensureRunning(): Promise<void>;
  stop(): Promise<void>;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const cleanups: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  };
  try {
    return await assemble(options, cleanups, stop);
  } catch (error) {
    await stop();
    throw error;
  }
}

const DEFAULT_POLICY = {
  default: 'allow',
  rules: [
    {
      name: 'namespace-delete',
      match: { verbs: ['delete', 'deletecollection'], resources: ['namespaces'] },
      require: { group: 'sre-oncall', approvals: 1 },
    },
    {
      name: 'production-delete-or-exec',
      match: {
        verbs: ['delete', 'deletecollection', 'exec', 'attach'],
        namespaces: ['prod-*', 'payments-*'],
      },
      require: { group: 'sre-oncall', approvals: 1 },
    },
  ],
};

async function assemble(
  options: StackOptions,
  cleanups: (() => Promise<unknown>)[],
  stop: () => Promise<void>,
): Promise<Stack> {
  const clusterType = options.clusterType ?? 'kubeconfig';
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-stack-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const sentinel = options.redisSentinel;
  const redis: TestRedis = await testRedis({
    ...(options.redisUrl && { url: options.redisUrl }),
    // Through a failover the test's client reconnects (to the promoted primary) instead of giving up.
    ...(sentinel && {
      redisOptions: {
        sentinels: [...sentinel.sentinels],
        name: sentinel.name,
        retryStrategy: (attempt: number) => Math.min(attempt * 200, 2000),
      },
    }),
  });
  // Last: after the processes that write there have stopped (cleanups run in reverse).
  cleanups.push(() => redis.cleanup());

  const eksClusterName = 'payments-eks';
  const sts = clusterType === 'eks' ? await startFakeSts() : undefined;
  if (sts) cleanups.push(() => sts.close());
  const upstream = await startKubeUpstream({
    auth: {
      bearerToken: sts
        ? (token: string | undefined) =>
            token !== undefined && sts.credentialsForEksToken(token, eksClusterName) !== undefined
        : UPSTREAM_TOKEN,
    },
  });
  cleanups.push(() => upstream.close());
  upstream.store.put(namespace('payments-staging'));
  upstream.store.put(pod({ name: 'api-7d9f', namespace: 'payments-staging' }));

  const extraApprovers = options.extraApprovers ?? [];
  const slack = await startSlackApi({
    users: [...Object.values(PEOPLE), ...extraApprovers],
    usergroups: {
      [SRE_USERGROUP]: [PEOPLE.bob.id, PEOPLE.dave.id, ...extraApprovers.map((person) => person.id)],
    },
  });
  cleanups.push(() => slack.close());

  const cluster = 'payments';
  const clusterEntry = sts
    ? {
        name: cluster,
        type: 'eks',
        server: upstream.url,
        region: 'eu-west-1',
        clusterName: eksClusterName,
        roleArn: 'arn:aws:iam::123456789012:role/gatehouse-eks',
        caData: Buffer.from(upstream.caPem!).toString('base64'),
      }
    : {
        name: cluster,
        type: 'kubeconfig',
        kubeconfig: writeKubeconfig({
          server: upstream.url,
          caPem: upstream.caPem!,
          credentials: { token: UPSTREAM_TOKEN },
          dir,
          name: 'upstream',
        }).path,
      };

  const newToken = () => `gh_${randomBytes(24).toString('base64url')}`;
  const agents = [{ id: AGENT_ID, owners: [PEOPLE.alice.id] }, ...(options.extraAgents ?? [])];
  const agentTokens = Object.fromEntries(agents.map((agent) => [agent.id, newToken()]));
  const tokenFileAgents = options.tokenFileAgents ?? [];
  const tokenFiles = Object.fromEntries(
    tokenFileAgents.map((agent) => [agent.id, join(dir, `${agent.id}.token`)]),
  );
  const [gatewayPort, slackbotPort] = [await freePort(), await freePort()];
  const configPath = join(dir, 'gatehouse.yaml');
  let config: Record<string, unknown> = {
    redis: sentinel
      ? {
          sentinels: sentinel.sentinels.map(({ host, port }) => `${host}:${port}`),
          name: sentinel.name,
          keyPrefix: redis.prefix,
        }
      : { url: redis.url, keyPrefix: redis.prefix },
    gateway: {
      listen: `127.0.0.1:${gatewayPort}`,
      tls: { mode: 'self-signed', dir: join(dir, 'tls') },
      holdTimeout: '2m',
      // Previews add read-only traffic and a dry run upstream; suites about previews turn them on.
      previewTimeout: '0s',
      ...options.gateway,
    },
    clusters: [clusterEntry, ...(options.extraClusters ?? [])],
    ...(options.identityProviders && { identityProviders: options.identityProviders }),
    agents: [
      ...agents.map((agent) => ({
        id: agent.id,
        tokenSha256: createHash('sha256').update(agentTokens[agent.id]!).digest('hex'),
        owners: agent.owners,
      })),
      ...tokenFileAgents.map((agent) => ({ id: agent.id, owners: agent.owners ?? [], match: agent.match })),
    ],
    approverGroups: {
      'sre-oncall': { slackUsergroup: SRE_USERGROUP },
      ...Object.fromEntries(
        Object.entries(options.extraGroups ?? {}).map(([name, members]) => [name, { members }]),
      ),
    },
    slack: {
      approverChannel: APPROVER_CHANNEL,
      listen: `127.0.0.1:${slackbotPort}`,
      ...(options.usergroupCacheTtl && { usergroupCacheTtl: options.usergroupCacheTtl }),
      coalesceAfter: options.coalesceAfter ?? 1000,
    },
    audit: { sinks: [{ type: 'redis' }], recordingsDir: join(dir, 'recordings'), ...options.audit },
    ...(options.telemetry && { telemetry: options.telemetry }),
    policy: options.policy ?? DEFAULT_POLICY,
  };
  await writeFile(configPath, stringify(config));

  const env: Record<string, string> = {
    GATEHOUSE_CONFIG: configPath,
    LOG_LEVEL: 'info',
    SLACK_BOT_TOKEN: slack.token,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: slack.url,
    ...options.env,
    ...(sts && {
      AWS_ENDPOINT_URL_STS: sts.url,
      AWS_ACCESS_KEY_ID: BASE_AWS_KEY,
      AWS_SECRET_ACCESS_KEY: 'gatehouse-stack-base-secret',
      AWS_REGION: 'eu-west-1',
      AWS_EC2_METADATA_DISABLED: 'true',
    }),
  };
  const processes = {
    gateway: () =>
      startNode(GATEWAY_BIN, {
        args: ['serve'],
        env,
        ready: { port: gatewayPort, host: '127.0.0.1' },
        name: 'gatehouse-gateway',
      }),
    slackbot: () =>
      startNode(SLACKBOT_BIN, {
        env,
        ready: { line: /gatehouse-slackbot ready/ },
        name: 'gatehouse-slackbot',
      }),
  };
  const running: Record<'gateway' | 'slackbot', ManagedProcess> = {
    gateway: await processes.gateway(),
    slackbot: await processes.slackbot(),
  };
  cleanups.push(() => running.gateway.stop());
  cleanups.push(() => running.slackbot.stop());
  const gatewayCaPem = await readFile(join(dir, 'tls', 'ca.crt'), 'utf8');

  // The newcomer's path: the gateway's own CLI prints the agent's kubeconfig (its CA included).
  const printKubeconfig = async (agent: string): Promise<string> => {
    const path = join(dir, `${agent}.kubeconfig`);
    const tokenFile = tokenFiles[agent];
    const printed = execFile(
      process.execPath,
      [
        GATEWAY_BIN,
        'kubeconfig',
        '--agent',
        agent,
        '--cluster',
        cluster,
        ...(tokenFile ? ['--token-file', tokenFile] : ['--token', '-']),
      ],
      { env: { ...process.env, ...env } },
    );
    printed.stdin?.end(tokenFile ? '' : agentTokens[agent]);
    const kubeconfigText = await new Promise<string>((resolveText, reject) => {
      let out = '';
      let err = '';
      printed.stdout?.on('data', (chunk: string) => {
        out += chunk;
      });
      printed.stderr?.on('data', (chunk: string) => {
        err += chunk;
      });
      printed.once('close', (code) =>
        code === 0 ? resolveText(out) : reject(new Error(`kubeconfig command failed: ${err}`)),
      );
    });
    await writeFile(path, kubeconfigText, { mode: 0o600 });
    return path;
  };
  const kubeconfigs: Record<string, string> = {};
  for (const agent of [...agents, ...tokenFileAgents])
    kubeconfigs[agent.id] = await printKubeconfig(agent.id);
  const agentKubeconfig = kubeconfigs[AGENT_ID]!;

  const botUrl = `http://127.0.0.1:${slackbotPort}/slack/events`;
  const approvalMessages = () => slack.messages(APPROVER_CHANNEL);
  const message = (ts: string) => {
    const found = slack.message(APPROVER_CHANNEL, ts);
    if (!found) throw new Error(`no message ${ts} in ${APPROVER_CHANNEL}`);
    return found;
  };
  const clickBody = (person: Clicker, shown: FakeMessage, label: ButtonLabel, value?: string) => {
    const button = findButton(message(shown.ts), label, value);
    if (!button) throw new Error(`the message ${shown.ts} shows no ${label} button ${value ?? ''}`);
    return interactiveBody(
      blockActionsPayload({
        user: person,
        channel: APPROVER_CHANNEL,
        messageTs: shown.ts,
        actionId: button.actionId,
        blockId: button.blockId,
        value: button.value,
        responseUrl: slack.responseUrl(),
        message: { type: 'message', ts: shown.ts, blocks: message(shown.ts).blocks },
      }),
    );
  };
  const click = (person: Clicker, shown: FakeMessage, label: ButtonLabel, value?: string) =>
    postToSlackApp(botUrl, clickBody(person, shown, label, value), { signingSecret: SIGNING_SECRET });
  const slash = (person: Clicker, text: string) =>
    postToSlackApp(
      botUrl,
      slashCommandBody({
        command: '/gatehouse',
        text,
        user: person,
        channel: APPROVER_CHANNEL,
        responseUrl: slack.responseUrl(),
      }),
      { signingSecret: SIGNING_SECRET },
    );

  return {
    cluster,
    upstream,
    slack,
    sts,
    get gateway() {
      return running.gateway;
    },
    get slackbot() {
      return running.slackbot;
    },
    agentKubeconfig,
    configPath,
    eksClusterName,
    kubectl: (args, timeoutMs = 120_000) => startKubectl(args, { kubeconfig: agentKubeconfig, timeoutMs }),
    kubectlAs(agent, args, timeoutMs = 120_000) {
      const kubeconfig = kubeconfigs[agent];
      if (!kubeconfig) throw new Error(`no agent ${agent} in this stack`);
      return startKubectl(args, { kubeconfig, timeoutMs });
    },
    redis,
    gatewayUrl: `https://127.0.0.1:${gatewayPort}`,
    gatewayCaPem,
    agentTokens,
    tokenFiles,
    slackEndpoint: { url: botUrl, signingSecret: SIGNING_SECRET },
    async updateConfig(change) {
      config = structuredClone(config);
      change(config);
      await writeFile(configPath, stringify(config));
    },
    async kill(which, killOptions = {}) {
      const victim = running[which];
      if (!victim.running()) return;
      if (killOptions.graceful) await victim.stop();
      else {
        process.kill(victim.pid, 'SIGKILL');
        await victim.exited;
      }
    },
    async start(which) {
      if (running[which].running()) throw new Error(`the ${which} is still running`);
      running[which] = await processes[which]();
    },
    async ensureRunning() {
      for (const which of ['gateway', 'slackbot'] as const) {
        if (!running[which].running()) running[which] = await processes[which]();
      }
    },
    approvalMessages,
    message,
    async waitForMessages(count) {
      await slack.waitFor(`${count} approval message(s)`, () => approvalMessages().length >= count, 30_000);
      return approvalMessages();
    },
    click,
    clickBody,
    slash,
    async deny(person, shown, reason) {
      const viewsBefore = slack.views().length;
      const answer = await click(person, shown, 'Deny');
      if (answer.status !== 200) throw new Error(`the Deny click was answered ${answer.status}`);
      await slack.waitFor('the deny modal', () => slack.views().length > viewsBefore);
      const view = slack.views()[viewsBefore]!;
      const input = findTextInput(view);
      if (!input) throw new Error('the deny modal has no text input');
      const body = interactiveBody(
        viewSubmissionPayload({
          user: person,
          view,
          values: { [input.blockId]: { [input.actionId]: reason } },
        }),
      );
      const submitted = await postToSlackApp(botUrl, body, { signingSecret: SIGNING_SECRET });
      if (submitted.status !== 200)
        throw new Error(`the deny modal submission was answered ${submitted.status}`);
    },
    ephemeralReplies: () =>
      slack.responses().map((response) => String((response.body as { text?: unknown }).text ?? '')),
    async audit(args) {
      try {
        const { stdout, stderr } = await run(process.execPath, [AUDIT_BIN, ...args], {
          env: { ...process.env, GATEHOUSE_CONFIG: configPath },
        });
        return { code: 0, stdout, stderr };
      } catch (error) {
        const failed = error as { code?: number; stdout?: string; stderr?: string };
        return { code: failed.code ?? 1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
      }
    },
    stop,
  };
}
