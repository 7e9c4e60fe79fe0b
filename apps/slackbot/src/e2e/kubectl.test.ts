import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '@gatehouse/config';
import { hashToken, type RunningGateway, renderKubeconfig, startGateway } from '@gatehouse/gateway';
import { writeKubeconfig } from '@gatehouse/testkit/ca';
import { type KubeUpstream, namespace, startKubeUpstream } from '@gatehouse/testkit/kube-upstream';
import { startKubectl, waitUntil } from '@gatehouse/testkit/processes';
import { type TestRedis, testRedis } from '@gatehouse/testkit/redis';
import {
  blockActionsPayload,
  interactiveBody,
  postToSlackApp,
  type SlackApiFake,
  startSlackApi,
  viewSubmissionPayload,
} from '@gatehouse/testkit/slack-api';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createSlackbot, EVENTS_PATH, type Slackbot } from '../app.js';
import { ActionId, BlockId, DENY_REASON_INPUT } from '../ids.js';
import { blocksText } from '../test-support/index.js';

const AGENT = { id: 'agent-oncall', token: 'gh_e2e-agent-token', owners: ['U0ALICE'] };
const UPSTREAM_TOKEN = 'e2e-upstream-token';
const SIGNING_SECRET = 'e2e-signing-secret';
const CHANNEL = 'C0APPROVALS';

let cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  cleanups = [];
});

/** Upstream Kubernetes API, gateway, Slack fake and the bot, all on loopback, sharing one Redis prefix. */
async function startAll() {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-slackbot-e2e-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const redis: TestRedis = await testRedis();
  cleanups.push(() => redis.cleanup());
  const upstream: KubeUpstream = await startKubeUpstream({ auth: { bearerToken: UPSTREAM_TOKEN } });
  cleanups.push(() => upstream.close());
  upstream.store.put(namespace('payments-staging'));
  const slack: SlackApiFake = await startSlackApi({
    users: [
      { id: 'U0ALICE', name: 'alice' },
      { id: 'U0BOB', name: 'bob' },
    ],
    usergroups: { S0SRE: ['U0BOB'] },
  });
  cleanups.push(() => slack.close());

  const upstreamKubeconfig = writeKubeconfig({
    server: upstream.url,
    caPem: upstream.caPem!,
    credentials: { token: UPSTREAM_TOKEN },
    dir,
    name: 'upstream',
  });
  const config = parseConfig(
    {
      redis: { url: redis.url, keyPrefix: redis.prefix },
      gateway: {
        listen: '127.0.0.1:0',
        tls: { mode: 'self-signed', dir: join(dir, 'tls') },
        previewTimeout: 0,
      },
      clusters: [{ name: 'kind', type: 'kubeconfig', kubeconfig: upstreamKubeconfig.path }],
      agents: [{ id: AGENT.id, tokenSha256: hashToken(AGENT.token), owners: AGENT.owners }],
      approverGroups: { sre: { slackUsergroup: 'S0SRE' } },
      slack: { approverChannel: CHANNEL, listen: '127.0.0.1:0', apiUrl: slack.url },
      audit: { sinks: [{ type: 'redis' }], recordingsDir: join(dir, 'recordings') },
      policy: {
        default: 'allow',
        rules: [
          {
            name: 'namespace-delete',
            match: { verbs: ['delete'], resources: ['namespaces'] },
            require: { group: 'sre', approvals: 1, reason: 'deleting a namespace deletes everything in it' },
          },
        ],
      },
    },
    { baseDir: dir, env: {} },
  );
  const logger = pino({ level: 'silent' });
  const gateway: RunningGateway = await startGateway({ config, env: {}, logger });
  cleanups.push(() => gateway.close());
  const bot: Slackbot = createSlackbot({
    config,
    secrets: { botToken: slack.token, signingSecret: SIGNING_SECRET },
    logger,
    retryConfig: { retries: 2, factor: 1, minTimeout: 10, maxTimeout: 50 },
  });
  const { port } = await bot.start();
  cleanups.push(() => bot.stop());

  const kubeconfig = join(dir, 'agent.kubeconfig');
  await writeFile(
    kubeconfig,
    renderKubeconfig({
      agent: AGENT.id,
      cluster: 'kind',
      server: gateway.url,
      token: AGENT.token,
      caPem: await readFile(gateway.caFile!, 'utf8'),
    }),
  );
  return { slack, upstream, kubeconfig, botUrl: `http://127.0.0.1:${port}${EVENTS_PATH}` };
}

describe('with the gateway', () => {
  it('a held `kubectl delete` goes through once a signed Approve click arrives, and the message says who and when', async () => {
    const { slack, upstream, kubeconfig, botUrl } = await startAll();
    const deletes = () =>
      upstream.received({ method: 'DELETE', path: '/api/v1/namespaces/payments-staging' });

    const kubectl = startKubectl(['delete', 'namespace', 'payments-staging'], {
      kubeconfig,
      timeoutMs: 60_000,
    });
    await slack.waitFor('the approval message', () => slack.messages(CHANNEL).length === 1, 30_000);
    const message = slack.messages(CHANNEL)[0]!;
    expect(blocksText(message.blocks)).toContain('kubectl delete namespace payments-staging');
    const approvalId = String(message.metadata?.event_payload.approval_id);
    expect(kubectl.running()).toBe(true);
    expect(deletes()).toEqual([]);

    const responseUrl = slack.responseUrl();
    const click = interactiveBody(
      blockActionsPayload({
        user: { id: 'U0BOB', name: 'bob' },
        channel: CHANNEL,
        messageTs: message.ts,
        actionId: ActionId.Approve,
        value: approvalId,
        responseUrl,
        blockId: BlockId.Actions,
      }),
    );
    expect((await postToSlackApp(botUrl, click, { signingSecret: SIGNING_SECRET })).status).toBe(200);

    const result = await kubectl.result();
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('namespace "payments-staging" deleted');
    expect(deletes()).toHaveLength(1);
    await waitUntil(
      'the message to show the dispatch',
      async () => blocksText(slack.message(CHANNEL, message.ts)!.blocks).includes('answered 200'),
      20_000,
    );
    const text = blocksText(slack.message(CHANNEL, message.ts)!.blocks);
    expect(text).toMatch(
      /<@U0BOB> approved <!date\^\d+\^\{date_short_pretty\} at \{time_secs\}\|\d{4}-\d\d-\d\dT/,
    );
    expect(text).toMatch(/sent to the cluster at <!date\^\d+\^[^|]+\|[^>]+>, answered 200/);
    expect(
      slack
        .message(CHANNEL, message.ts)!
        .blocks.some((block) => (block as { type: string }).type === 'actions'),
    ).toBe(false);
  });

  it('a Deny with a reason refuses the held `kubectl delete` with that reason, and nothing reaches the cluster', async () => {
    const { slack, upstream, kubeconfig, botUrl } = await startAll();

    const kubectl = startKubectl(['delete', 'namespace', 'payments-staging'], {
      kubeconfig,
      timeoutMs: 60_000,
    });
    await slack.waitFor('the approval message', () => slack.messages(CHANNEL).length === 1, 30_000);
    const message = slack.messages(CHANNEL)[0]!;
    const approvalId = String(message.metadata?.event_payload.approval_id);
    const deny = interactiveBody(
      blockActionsPayload({
        user: { id: 'U0BOB', name: 'bob' },
        channel: CHANNEL,
        messageTs: message.ts,
        actionId: ActionId.Deny,
        value: approvalId,
        responseUrl: slack.responseUrl(),
        blockId: BlockId.Actions,
      }),
    );
    expect((await postToSlackApp(botUrl, deny, { signingSecret: SIGNING_SECRET })).status).toBe(200);
    await slack.waitFor('the deny modal', () => slack.views().length === 1);
    const submit = interactiveBody(
      viewSubmissionPayload({
        user: { id: 'U0BOB', name: 'bob' },
        view: slack.views()[0]!,
        values: { [BlockId.DenyReason]: { [DENY_REASON_INPUT]: 'payments freeze this week' } },
      }),
    );
    expect((await postToSlackApp(botUrl, submit, { signingSecret: SIGNING_SECRET })).status).toBe(200);

    const result = await kubectl.result();
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('payments freeze this week');
    expect(upstream.received({ method: 'DELETE' })).toEqual([]);
    await slack.waitFor('the message to show the denial', () =>
      blocksText(slack.message(CHANNEL, message.ts)!.blocks).includes('*Denied*'),
    );
    expect(blocksText(slack.message(CHANNEL, message.ts)!.blocks)).toContain('payments freeze this week');
  });
});
