import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Args, methods, type SlackResult } from './methods.js';
import { SocketModeServer } from './socket-mode.js';
import {
  type FakeEphemeral,
  type FakeMessage,
  type FakeResponse,
  type FakeUser,
  type FakeView,
  Workspace,
} from './workspace.js';

/** What the next call(s) of a method do instead of (or before) answering normally. */
export type ScriptedFailure =
  /** HTTP 429 with `Retry-After`, as Slack rate limits. */
  | { readonly kind: 'ratelimited'; readonly retryAfterSeconds: number }
  /** HTTP 200 `{ ok: false, error }`, as Slack reports API errors. */
  | { readonly kind: 'error'; readonly error: string }
  /** A bare HTTP status (5xx), as a Slack outage looks. */
  | { readonly kind: 'http'; readonly status: number }
  /** Answer normally, but only after a delay. */
  | { readonly kind: 'slow'; readonly delayMs: number };

export interface RecordedCall {
  readonly method: string;
  readonly args: Args;
  /** What the fake answered: the HTTP status and the `ok`/`error` of the body. */
  readonly status: number;
  readonly ok: boolean;
  readonly error?: string | undefined;
}

export interface SlackApiOptions {
  /** The bot token the app must present. @defaultValue 'xoxb-gatehouse-test' */
  readonly token?: string;
  /** The app-level token Socket Mode's apps.connections.open needs. @defaultValue 'xapp-gatehouse-test' */
  readonly appToken?: string;
  readonly users?: readonly FakeUser[];
  /** User group id -> member user ids. */
  readonly usergroups?: Readonly<Record<string, readonly string[]>>;
}

export interface SlackApiFake {
  /** Pass as WebClient `slackApiUrl`; ends with `/api/`. */
  readonly url: string;
  readonly token: string;
  readonly appToken: string;
  /** Slack's side of Socket Mode: deliver envelopes to the connected app and read its acks. */
  readonly socketMode: Pick<SocketModeServer, 'connections' | 'send'>;
  readonly teamId: string;
  readonly botUserId: string;
  /** Every call received, in order, optionally only one method's. */
  calls(method?: string): RecordedCall[];
  /** Messages of a channel in posting order (latest text/blocks), or of all channels. */
  messages(channel?: string): FakeMessage[];
  message(channel: string, ts: string): FakeMessage | undefined;
  ephemerals(): FakeEphemeral[];
  views(): FakeView[];
  /** Bodies posted to response URLs from {@link SlackApiFake.responseUrl}. */
  responses(): FakeResponse[];
  /** A fresh response_url served by the fake, for interactive payloads and slash commands. */
  responseUrl(): string;
  /** The DM channel a user gets from conversations.open. */
  dmChannel(userId: string): string;
  addUser(user: FakeUser): void;
  setUsergroup(id: string, members: readonly string[]): void;
  /** The next `times` calls of `method` fail as scripted (in order of scripting). */
  failNext(method: string, failure: ScriptedFailure, times?: number): void;
  /** Polls until `condition` holds; rejects naming `what` if it does not within `timeoutMs`. */
  waitFor(what: string, condition: () => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

const JSON_FIELDS = new Set(['blocks', 'attachments', 'metadata', 'view']);

/** WebClient form-encodes arguments and JSON-encodes the structured ones; decode both. */
function decodeArgs(contentType: string, body: string): Args {
  if (contentType.includes('application/json')) return body ? (JSON.parse(body) as Args) : {};
  const args: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(body)) {
    args[key] = JSON_FIELDS.has(key) ? JSON.parse(value) : value;
  }
  return args;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  response.end(JSON.stringify(body));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts a local stand-in for the Slack Web API on 127.0.0.1 (random port). */
export async function startSlackApi(options: SlackApiOptions = {}): Promise<SlackApiFake> {
  const token = options.token ?? 'xoxb-gatehouse-test';
  const appToken = options.appToken ?? 'xapp-gatehouse-test';
  const workspace = new Workspace();
  for (const user of options.users ?? []) workspace.users.set(user.id, user);
  for (const [id, members] of Object.entries(options.usergroups ?? {}))
    workspace.usergroups.set(id, [...members]);
  const calls: RecordedCall[] = [];
  const scripted = new Map<string, ScriptedFailure[]>();
  const responseUrls = new Set<string>();
  let base = '';

  async function handleMethod(method: string, request: IncomingMessage, response: ServerResponse) {
    const args = decodeArgs(request.headers['content-type'] ?? '', await readBody(request));
    const record = (status: number, result: SlackResult) => {
      calls.push({ method, args, status, ok: result.ok, error: result.error as string | undefined });
    };
    const failure = scripted.get(method)?.shift();
    if (failure?.kind === 'ratelimited') {
      const result = { ok: false, error: 'ratelimited' };
      record(429, result);
      return send(response, 429, result, { 'retry-after': String(failure.retryAfterSeconds) });
    }
    if (failure?.kind === 'http') {
      record(failure.status, { ok: false, error: `http_${failure.status}` });
      return send(response, failure.status, { ok: false, error: 'internal_error' });
    }
    if (failure?.kind === 'error') {
      const result = { ok: false, error: failure.error };
      record(200, result);
      return send(response, 200, result);
    }
    if (failure?.kind === 'slow') await sleep(failure.delayMs);

    const presented = request.headers.authorization?.replace(/^Bearer /, '') ?? args.token;
    // Socket Mode connects with the app-level token; every other method takes the bot token.
    const socketOpen = method === 'apps.connections.open';
    const handler = methods[method];
    const result: SlackResult =
      presented === undefined
        ? { ok: false, error: 'not_authed' }
        : presented !== (socketOpen ? appToken : token)
          ? { ok: false, error: 'invalid_auth' }
          : socketOpen
            ? { ok: true, url: socketMode.issueUrl(base) }
            : handler
              ? handler(args, workspace)
              : { ok: false, error: 'unknown_method' };
    record(200, result);
    send(response, 200, result);
  }

  async function handleResponseUrl(path: string, request: IncomingMessage, response: ServerResponse) {
    const url = `${base}${path}`;
    if (!responseUrls.has(url)) return send(response, 404, { ok: false, error: 'no_such_response_url' });
    const body = JSON.parse((await readBody(request)) || '{}') as Record<string, unknown>;
    workspace.responses.push({ responseUrl: url, body });
    send(response, 200, { ok: true });
  }

  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://fake').pathname;
    const handled =
      request.method === 'POST' && path.startsWith('/api/')
        ? handleMethod(path.slice('/api/'.length), request, response)
        : request.method === 'POST' && path.startsWith('/response/')
          ? handleResponseUrl(path, request, response)
          : Promise.resolve(send(response, 404, { ok: false, error: 'not_found' }));
    handled.catch((error: unknown) => send(response, 400, { ok: false, error: String(error) }));
  });
  const socketMode = new SocketModeServer(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: `${base}/api/`,
    token,
    appToken,
    socketMode,
    teamId: workspace.teamId,
    botUserId: workspace.botUserId,
    calls: (method) => calls.filter((call) => method === undefined || call.method === method),
    messages: (channel) =>
      channel === undefined
        ? [...workspace.channels.values()].flatMap((messages) => [...messages.values()])
        : [...(workspace.channels.get(channel)?.values() ?? [])],
    message: (channel, ts) => workspace.find(channel, ts),
    ephemerals: () => [...workspace.ephemerals],
    views: () => [...workspace.views],
    responses: () => [...workspace.responses],
    responseUrl: () => {
      const url = `${base}/response/${randomUUID()}`;
      responseUrls.add(url);
      return url;
    },
    dmChannel: (userId) => workspace.dmChannel(userId),
    addUser: (user) => workspace.users.set(user.id, user),
    setUsergroup: (id, members) => workspace.usergroups.set(id, [...members]),
    failNext: (method, failure, times = 1) => {
      const queue = scripted.get(method) ?? [];
      for (let i = 0; i < times; i += 1) queue.push(failure);
      scripted.set(method, queue);
    },
    waitFor: async (what, condition, timeoutMs = 10_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!condition()) {
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
        await sleep(20);
      }
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        socketMode.close();
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
