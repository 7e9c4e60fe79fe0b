import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { writeKubeconfig } from '@gatehouse/testkit/ca';
import { type KubeUpstream, namespace, pod, startKubeUpstream } from '@gatehouse/testkit/kube-upstream';
import {
  type BackgroundKubectl,
  type ManagedProcess,
  startKubectl,
  startNode,
} from '@gatehouse/testkit/processes';
import { type TestRedis, testRedis } from '@gatehouse/testkit/redis';
import {
  blockActionsPayload,
  type Clicker,
  type FakeMessage,
  interactiveBody,
  type PostedResponse,
  postToSlackApp,
  type SlackApiFake,
  startSlackApi,
  viewSubmissionPayload,
} from '@gatehouse/testkit/slack-api';
import { type FakeSts, startFakeSts } from '@gatehouse/testkit/sts';
import { stringify } from 'yaml';
import { freePort } from './ports.js';
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
const SRE_USERGROUP = 'S0SREONCALL';
const SIGNING_SECRET = `stack-signing-secret-${randomBytes(8).toString('hex')}`;
const UPSTREAM_TOKEN = `stack-upstream-token-${randomBytes(8).toString('hex')}`;
const BASE_AWS_KEY = 'AKIAGATEHOUSESTACK01';

export interface StackOptions {
  /** How the gateway reaches the cluster. @defaultValue 'kubeconfig' */
  readonly clusterType?: 'kubeconfig' | 'eks';
}

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
  /** A signed click on the button with this label, as Slack would send it. */
  click(person: Clicker, message: FakeMessage, label: 'Approve' | 'Deny'): Promise<PostedResponse>;
  /** Deny, then submit the modal with a reason. */
  deny(person: Clicker, message: FakeMessage, reason: string): Promise<void>;
  /** What the bot told a clicker through response_url, newest last. */
  ephemeralReplies(): string[];
  /** The audit CLI with this stack's config. */
  audit(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  stop(): Promise<void>;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const cleanups: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  };
  try {
    return await assemble(options.clusterType ?? 'kubeconfig', cleanups, stop);
  } catch (error) {
    await stop();
    throw error;
  }
}

async function assemble(
  clusterType: 'kubeconfig' | 'eks',
  cleanups: (() => Promise<unknown>)[],
  stop: () => Promise<void>,
): Promise<Stack> {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-stack-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const redis: TestRedis = await testRedis();
  cleanups.push(async () => {
    // BullMQ keeps its queues under bull:<queue name>; ours are named after the prefix.
    for await (const keys of redis.redis.scanStream({ match: `bull:${redis.prefix}-*`, count: 500 })) {
      if ((keys as string[]).length > 0) await redis.redis.unlink(...(keys as string[]));
    }
    await redis.cleanup();
  });

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

  const slack = await startSlackApi({
    users: Object.values(PEOPLE),
    usergroups: { [SRE_USERGROUP]: [PEOPLE.bob.id, PEOPLE.dave.id] },
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

  const agentToken = `gh_${randomBytes(24).toString('base64url')}`;
  const [gatewayPort, slackbotPort] = [await freePort(), await freePort()];
  const configPath = join(dir, 'gatehouse.yaml');
  await writeFile(
    configPath,
    stringify({
      redis: { url: redis.url, keyPrefix: redis.prefix },
      gateway: {
        listen: `127.0.0.1:${gatewayPort}`,
        tls: { mode: 'self-signed', dir: join(dir, 'tls') },
        holdTimeout: '2m',
      },
      clusters: [clusterEntry],
      agents: [
        {
          id: AGENT_ID,
          tokenSha256: createHash('sha256').update(agentToken).digest('hex'),
          owners: [PEOPLE.alice.id],
        },
      ],
      approverGroups: { 'sre-oncall': { slackUsergroup: SRE_USERGROUP } },
      slack: { approverChannel: APPROVER_CHANNEL, listen: `127.0.0.1:${slackbotPort}` },
      audit: { sinks: [{ type: 'redis' }], recordingsDir: join(dir, 'recordings') },
      policy: {
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
      },
    }),
  );

  const env: Record<string, string> = {
    GATEHOUSE_CONFIG: configPath,
    LOG_LEVEL: 'info',
    SLACK_BOT_TOKEN: slack.token,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: slack.url,
    ...(sts && {
      AWS_ENDPOINT_URL_STS: sts.url,
      AWS_ACCESS_KEY_ID: BASE_AWS_KEY,
      AWS_SECRET_ACCESS_KEY: 'gatehouse-stack-base-secret',
      AWS_REGION: 'eu-west-1',
      AWS_EC2_METADATA_DISABLED: 'true',
    }),
  };
  const gateway = await startNode(GATEWAY_BIN, {
    args: ['serve'],
    env,
    ready: { port: gatewayPort, host: '127.0.0.1' },
    name: 'gatehouse-gateway',
  });
  cleanups.push(() => gateway.stop());
  const slackbot = await startNode(SLACKBOT_BIN, {
    env,
    ready: { line: /gatehouse-slackbot ready/ },
    name: 'gatehouse-slackbot',
  });
  cleanups.push(() => slackbot.stop());

  // The newcomer's path: the gateway's own CLI prints the agent's kubeconfig (its CA included).
  const agentKubeconfig = join(dir, 'agent.kubeconfig');
  const printed = execFile(
    process.execPath,
    [GATEWAY_BIN, 'kubeconfig', '--agent', AGENT_ID, '--cluster', cluster, '--token', '-'],
    { env: { ...process.env, ...env } },
  );
  printed.stdin?.end(agentToken);
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
  await writeFile(agentKubeconfig, kubeconfigText, { mode: 0o600 });

  const botUrl = `http://127.0.0.1:${slackbotPort}/slack/events`;
  const approvalMessages = () => slack.messages(APPROVER_CHANNEL);
  const message = (ts: string) => {
    const found = slack.message(APPROVER_CHANNEL, ts);
    if (!found) throw new Error(`no message ${ts} in ${APPROVER_CHANNEL}`);
    return found;
  };
  const click = async (person: Clicker, shown: FakeMessage, label: 'Approve' | 'Deny') => {
    const button = findButton(message(shown.ts), label);
    if (!button) throw new Error(`the message ${shown.ts} shows no ${label} button`);
    const body = interactiveBody(
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
    return postToSlackApp(botUrl, body, { signingSecret: SIGNING_SECRET });
  };

  return {
    cluster,
    upstream,
    slack,
    sts,
    gateway,
    slackbot,
    agentKubeconfig,
    configPath,
    eksClusterName,
    kubectl: (args, timeoutMs = 120_000) => startKubectl(args, { kubeconfig: agentKubeconfig, timeoutMs }),
    approvalMessages,
    message,
    async waitForMessages(count) {
      await slack.waitFor(`${count} approval message(s)`, () => approvalMessages().length >= count, 30_000);
      return approvalMessages();
    },
    click,
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
