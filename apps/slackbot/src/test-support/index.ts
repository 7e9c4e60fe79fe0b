import { createHash, randomUUID } from 'node:crypto';
import { type ApprovalRequest, type Approvals, createApprovals, type OpenInput } from '@gatehouse/approvals';
import type { AuditEventInput } from '@gatehouse/audit';
import { type AuditLog, createAuditLog } from '@gatehouse/audit';
import { type GatehouseConfig, parseConfig, type WeeklySummaryConfig } from '@gatehouse/config';
import { ManualClock } from '@gatehouse/lifecycle';
import { removePrefixKeys, testPrefix } from '@gatehouse/testkit/redis';
import {
  blockActionsPayload,
  type FakeView,
  interactiveBody,
  type PostedResponse,
  postToSlackApp,
  type SlackApiFake,
  slashCommandBody,
  startSlackApi,
  viewSubmissionPayload,
} from '@gatehouse/testkit/slack-api';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { createSlackbot, EVENTS_PATH, type Slackbot } from '../app.js';
import { ActionId, BlockId, DENY_REASON_INPUT } from '../ids.js';
import type { ApprovalsPort } from '../ports.js';

/** The audit events the slackbot tests assert on (votes and what they decided). */
const DECISION_EVENTS = new Set(['vote', 'approval.approved', 'approval.denied', 'approval.expired']);

export const REDIS_URL = 'redis://127.0.0.1:6379';
export const SIGNING_SECRET = 'gatehouse-test-signing-secret';
export const CHANNEL = 'C0APPROVALS';
export const COMMAND = '/gatehouse';

/** The cast: Alice owns the agent; Bob, Carol, Dave and Erin approve (S0SRE); Frank is a DBA only; Mallory is nobody. */
export const USERS = {
  alice: { id: 'U0ALICE', name: 'alice' },
  bob: { id: 'U0BOB', name: 'bob' },
  carol: { id: 'U0CAROL', name: 'carol' },
  dave: { id: 'U0DAVE', name: 'dave' },
  erin: { id: 'U0ERIN', name: 'erin' },
  frank: { id: 'U0FRANK', name: 'frank' },
  mallory: { id: 'U0MALLORY', name: 'mallory' },
} as const;
export type Person = (typeof USERS)[keyof typeof USERS];

export interface HarnessOptions {
  /** Wraps the approvals store the bot sees (to inject failures). */
  readonly wrapApprovals?: (approvals: Approvals) => ApprovalsPort;
  readonly usergroupCacheTtlMs?: number;
  /** Start with an app-level token: Socket Mode against the fake's WebSocket. */
  readonly socketMode?: boolean;
  readonly weeklySummary?: WeeklySummaryConfig;
}

export function openInput(overrides: Partial<OpenInput> = {}): OpenInput {
  const name = overrides.command ?? `web-${randomUUID().slice(0, 8)}`;
  return {
    cluster: 'prod',
    agent: 'agent-oncall',
    owners: [USERS.alice.id],
    action: {
      kind: 'resource',
      verb: 'delete',
      apiGroup: 'apps',
      apiVersion: 'v1',
      resource: 'deployments',
      namespace: 'prod-eu',
      name,
      dryRun: false,
      readOnly: false,
      scaleToZero: false,
    },
    command: `kubectl delete deployment ${name} -n prod-eu`,
    request: {
      method: 'DELETE',
      path: `/apis/apps/v1/namespaces/prod-eu/deployments/${name}`,
      query: '',
      headers: {},
      bodySha256: createHash('sha256').update('').digest('hex'),
    },
    rule: 'prod-delete',
    reason: 'deleting in prod-* needs an on-call approval',
    group: 'sre-oncall',
    approvalsNeeded: 1,
    ...overrides,
  };
}

/** All text of a message's blocks, flattened, for assertions on what people see. */
export function blocksText(blocks: unknown): string {
  const texts: string[] = [];
  const walk = (node: unknown) => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (node && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (key === 'text' && typeof value === 'string') texts.push(value);
        else walk(value);
      }
    }
  };
  walk(blocks);
  return texts.join('\n');
}

export class Harness {
  readonly prefix = testPrefix();
  readonly clock = new ManualClock(Date.now());
  /**
   * The votes and decisions the approvals store recorded for this harness, in chain order, without
   * the chain fields (the store writes them; the bot writes none).
   */
  async auditEvents(): Promise<AuditEventInput[]> {
    await this.auditLog.drainOutbox();
    const redis = new Redis(REDIS_URL);
    const entries = await redis.xrange(`${this.prefix}:audit:log`, '-', '+').finally(() => redis.quit());
    return entries
      .map(([, fields]) => JSON.parse(fields[1] ?? '{}') as Record<string, unknown>)
      .filter((event) => DECISION_EVENTS.has(String(event.type)))
      .map(
        ({ seq: _seq, time: _time, prevHash: _prev, hash: _hash, ...event }) =>
          event as unknown as AuditEventInput,
      );
  }
  slack!: SlackApiFake;
  approvals!: Approvals;
  auditLog!: AuditLog;
  bot: Slackbot | undefined;
  url = '';
  /** `slack.weeklySummary` of the bots started from now on. */
  weeklySummary: WeeklySummaryConfig | undefined;
  /** Bots started by `startReplica`, stopped by `close`. */
  readonly #replicas: Slackbot[] = [];
  readonly #options: HarnessOptions;

  constructor(options: HarnessOptions = {}) {
    this.#options = options;
    this.weeklySummary = options.weeklySummary;
  }

  config(): GatehouseConfig {
    return parseConfig(
      {
        redis: { url: REDIS_URL, keyPrefix: this.prefix },
        clusters: [{ name: 'prod', type: 'kubeconfig', kubeconfig: '/dev/null' }],
        agents: [{ id: 'agent-oncall', tokenSha256: '0'.repeat(64), owners: [USERS.alice.id] }],
        approverGroups: { 'sre-oncall': { slackUsergroup: 'S0SRE' }, dba: { members: [USERS.frank.id] } },
        slack: {
          approverChannel: CHANNEL,
          command: COMMAND,
          listen: '127.0.0.1:0',
          usergroupCacheTtl: this.#options.usergroupCacheTtlMs ?? 60_000,
          weeklySummary: this.weeklySummary,
        },
      },
      { baseDir: '/tmp', env: {} },
    );
  }

  async start(): Promise<this> {
    this.slack = await startSlackApi({
      users: Object.values(USERS),
      usergroups: { S0SRE: [USERS.bob.id, USERS.carol.id, USERS.dave.id, USERS.erin.id] },
    });
    this.approvals = createApprovals({
      redis: REDIS_URL,
      prefix: this.prefix,
      clock: this.clock,
      requestTtlMs: 600_000,
      grantTtlMs: 600_000,
      sweepIntervalMs: 0,
      audit: { drainOutbox: () => this.auditLog.drainOutbox() },
    });
    this.auditLog = createAuditLog({ redis: REDIS_URL, prefix: this.prefix });
    await this.startBot();
    return this;
  }

  /** Starts (or restarts) the bot process-equivalent against the same Redis and Slack. */
  async startBot(): Promise<void> {
    this.bot = this.#createBot();
    const { port } = await this.bot.start();
    this.url = `http://127.0.0.1:${port}${EVENTS_PATH}`;
  }

  /** Another replica of the bot on the same Redis and Slack, as a second pod would be. */
  async startReplica(): Promise<Slackbot> {
    const replica = this.#createBot();
    this.#replicas.push(replica);
    await replica.start();
    return replica;
  }

  #createBot(): Slackbot {
    const config = this.config();
    return createSlackbot({
      config: { ...config, slack: { ...config.slack!, apiUrl: this.slack.url } },
      secrets: {
        botToken: this.slack.token,
        signingSecret: SIGNING_SECRET,
        appToken: this.#options.socketMode ? this.slack.appToken : undefined,
      },
      approvals: this.#options.wrapApprovals ? this.#options.wrapApprovals(this.approvals) : this.approvals,
      logger: pino({ level: 'silent' }),
      clock: this.clock,
      // Small and explicit: WebClient's default retries for about thirty minutes.
      retryConfig: { retries: 3, factor: 1, minTimeout: 10, maxTimeout: 50 },
      slackTimeoutMs: 5_000,
    });
  }

  async stopBot(): Promise<void> {
    await this.bot?.stop();
    this.bot = undefined;
  }

  async open(overrides: Partial<OpenInput> = {}): Promise<ApprovalRequest> {
    return (await this.approvals.open(openInput(overrides))).approval;
  }

  /** Waits until the bot posted the approval's message; returns the approval with its message ref. */
  async posted(id: string): Promise<ApprovalRequest & { slack: { channel: string; ts: string } }> {
    let approval: ApprovalRequest | undefined;
    const deadline = Date.now() + 15_000;
    while (!approval?.slack) {
      if (Date.now() > deadline) throw new Error(`approval ${id} was never posted`);
      approval = await this.approvals.get(id);
      if (!approval?.slack) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return approval as ApprovalRequest & { slack: { channel: string; ts: string } };
  }

  /** The text people see in the approval message right now. */
  messageText(approval: { slack?: { channel: string; ts: string } | undefined }): string {
    const message = approval.slack && this.slack.message(approval.slack.channel, approval.slack.ts);
    return message ? blocksText(message.blocks) : '';
  }

  async waitForMessage(approval: ApprovalRequest, what: string, test: (text: string) => boolean) {
    await this.slack.waitFor(`message ${what}`, () => test(this.messageText(approval)));
  }

  /** A signed button click; resolves with the HTTP answer and the response_url the bot should answer on. */
  async click(
    person: Person,
    actionId: string,
    approval: ApprovalRequest,
    value = approval.id,
  ): Promise<{ response: PostedResponse; responseUrl: string }> {
    const responseUrl = this.slack.responseUrl();
    const body = interactiveBody(
      blockActionsPayload({
        user: person,
        channel: approval.slack?.channel ?? CHANNEL,
        messageTs: approval.slack?.ts ?? '1.1',
        actionId,
        value,
        responseUrl,
        blockId: BlockId.Actions,
      }),
    );
    const response = await postToSlackApp(this.url, body, { signingSecret: SIGNING_SECRET });
    return { response, responseUrl };
  }

  /** The ephemeral answer the bot posted to a response_url. */
  async answer(responseUrl: string): Promise<string> {
    await this.slack.waitFor(`an answer on ${responseUrl}`, () =>
      this.slack.responses().some((response) => response.responseUrl === responseUrl),
    );
    const found = this.slack.responses().find((response) => response.responseUrl === responseUrl)!;
    return `${String(found.body.text ?? '')}\n${blocksText(found.body.blocks)}`;
  }

  async approve(person: Person, approval: ApprovalRequest): Promise<string> {
    const { responseUrl } = await this.click(person, ActionId.Approve, approval);
    return this.answer(responseUrl);
  }

  /** Deny click → modal → submission with a reason; resolves with the ephemeral answer. */
  async deny(person: Person, approval: ApprovalRequest, reason: string | null): Promise<string> {
    const viewsBefore = this.slack.views().length;
    const { response } = await this.click(person, ActionId.Deny, approval);
    if (response.status !== 200) throw new Error(`deny click answered ${response.status}`);
    await this.slack.waitFor('the deny modal', () => this.slack.views().length > viewsBefore);
    const view = this.slack.views()[viewsBefore] as FakeView;
    return this.submitDeny(person, view, reason);
  }

  async submitDeny(person: Person, view: FakeView, reason: string | null): Promise<string> {
    const ephemeralsBefore = this.slack.ephemerals().length;
    const body = interactiveBody(
      viewSubmissionPayload({
        user: person,
        view,
        values: { [BlockId.DenyReason]: { [DENY_REASON_INPUT]: reason } },
      }),
    );
    const response = await postToSlackApp(this.url, body, { signingSecret: SIGNING_SECRET });
    if (response.status !== 200) throw new Error(`deny submission answered ${response.status}`);
    await this.slack.waitFor('the ephemeral answer to the denier', () =>
      this.slack
        .ephemerals()
        .slice(ephemeralsBefore)
        .some((ephemeral) => ephemeral.user === person.id),
    );
    return this.slack
      .ephemerals()
      .slice(ephemeralsBefore)
      .find((ephemeral) => ephemeral.user === person.id)!.text;
  }

  /** A signed slash command; resolves with the ephemeral answer body. */
  async slash(person: Person, text: string): Promise<Record<string, unknown>> {
    const responseUrl = this.slack.responseUrl();
    const body = slashCommandBody({ command: COMMAND, text, user: person, channel: CHANNEL, responseUrl });
    const response = await postToSlackApp(this.url, body, { signingSecret: SIGNING_SECRET });
    if (response.status !== 200) throw new Error(`slash command answered ${response.status}`);
    await this.answer(responseUrl);
    return this.slack.responses().find((r) => r.responseUrl === responseUrl)!.body;
  }

  async close(): Promise<void> {
    await this.stopBot();
    for (const replica of this.#replicas.splice(0)) await replica.stop();
    await this.approvals?.close();
    await this.auditLog?.close();
    await this.slack?.close();
    await deleteKeys(this.prefix);
  }
}

/** Removes a test's Redis keys (its prefix, BullMQ's included), so tests never see each other's data. */
export async function deleteKeys(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    await removePrefixKeys(redis, prefix);
  } finally {
    await redis.quit();
  }
}
