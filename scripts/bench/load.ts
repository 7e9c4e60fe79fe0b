/**
 * Child process: the client side of every measurement, kept out of the orchestrating process so
 * its event loop is not what the numbers measure. Commands arrive over IPC, results go back:
 *   rate    fixed concurrency of small GETs for a duration (undici Pool, keep-alive)
 *   agents  many agents, a token and a connection each, sending small GETs at a steady pace
 *           (says `agents-connected` when the timed part starts)
 *   stream  one GET read to the end as fast as possible (the 50 MB list)
 *   watch   one watch read to the end; each event's delay since the upstream stamped it
 *   hold    many requests, one connection each, that stay open until `release`
 */
import { readFileSync } from 'node:fs';
import type { ClientRequest } from 'node:http';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, Client, type Dispatcher, Pool } from 'undici';
import { monotonicMs } from './stats.js';

const ca = readFileSync(process.env.BENCH_TLS_CA ?? '');

export type LoadCommand =
  | {
      cmd: 'rate';
      origin: string;
      path: string;
      headers: Record<string, string>;
      connections: number;
      durationMs: number;
    }
  /**
   * Agent i sends `headers` plus agentHeaders[i] on its own connection, opened by one untimed GET;
   * then a GET every intervalMs for durationMs, or at once when the last answer came later (an
   * agent waits for its answer, as kubectl does).
   */
  | {
      cmd: 'agents';
      origin: string;
      path: string;
      headers: Record<string, string>;
      agentHeaders: Record<string, string>[];
      intervalMs: number;
      durationMs: number;
    }
  | { cmd: 'stream'; origin: string; path: string; headers: Record<string, string> }
  | { cmd: 'watch'; origin: string; path: string; headers: Record<string, string> }
  | {
      cmd: 'hold';
      origin: string;
      method: string;
      paths: string[];
      headers: Record<string, string>;
      /** Requests started at once; the next batch starts when these are written. */
      batch: number;
    }
  /** Waits up to waitMs for answers still on their way, then closes what is still held. */
  | { cmd: 'release'; waitMs?: number }
  /** One POST, e.g. a signed Slack click; replies with when it was sent (monotonic ms) and the status. */
  | { cmd: 'post'; url: string; headers: Record<string, string>; body: string };

const send = (message: object) => process.send?.(message);

/** Successful GETs' latencies (ms) and failures, shared by the load commands that time small GETs. */
class Timings {
  readonly latenciesMs: number[] = [];
  /** When each of latenciesMs was sent (monotonic ms), to line a slow read up with what else ran. */
  readonly sentAtMs: number[] = [];
  errors = 0;

  /** One GET, its latency counted from `since` (monotonic ms) when it answers 200. */
  async get(
    dispatcher: Dispatcher,
    path: string,
    headers: Record<string, string>,
    since = monotonicMs(),
  ): Promise<void> {
    try {
      const response = await dispatcher.request({ path, method: 'GET', headers });
      await response.body.dump({ limit: Number.POSITIVE_INFINITY });
      if (response.statusCode === 200) {
        this.latenciesMs.push(monotonicMs() - since);
        this.sentAtMs.push(since);
      } else this.errors += 1;
    } catch {
      this.errors += 1;
    }
  }
}

async function rate(command: Extract<LoadCommand, { cmd: 'rate' }>): Promise<void> {
  const pool = new Pool(command.origin, { connections: command.connections, connect: { ca } });
  const timings = new Timings();
  const started = monotonicMs();
  const end = started + command.durationMs;
  await Promise.all(
    Array.from({ length: command.connections }, async () => {
      while (monotonicMs() < end) await timings.get(pool, command.path, command.headers);
    }),
  );
  const elapsedMs = monotonicMs() - started;
  await pool.close();
  send({ type: 'rate', ...timings, startedAtMs: started, elapsedMs });
}

async function agents(command: Extract<LoadCommand, { cmd: 'agents' }>): Promise<void> {
  const senders = command.agentHeaders.map((own) => ({
    client: new Client(command.origin, { connect: { ca } }),
    headers: { ...command.headers, ...own },
  }));
  const connecting = new Timings();
  await Promise.all(senders.map(({ client, headers }) => connecting.get(client, command.path, headers)));
  send({ type: 'agents-connected' });
  const timings = new Timings();
  timings.errors = connecting.errors;
  const started = monotonicMs();
  const end = started + command.durationMs;
  await Promise.all(
    senders.map(async ({ client, headers }, i) => {
      // Spread over one interval, so the agents do not all send at the same moment.
      let due = started + (i / senders.length) * command.intervalMs;
      while (due < end) {
        const wait = due - monotonicMs();
        if (wait > 0) await sleep(wait);
        due = Math.max(due, monotonicMs()) + command.intervalMs;
        await timings.get(client, command.path, headers);
      }
    }),
  );
  const elapsedMs = monotonicMs() - started;
  await Promise.all(senders.map(({ client }) => client.close()));
  send({ type: 'rate', ...timings, startedAtMs: started, elapsedMs });
}

const dispatcher = new Agent({ connect: { ca }, bodyTimeout: 0 });

async function stream(command: Extract<LoadCommand, { cmd: 'stream' }>): Promise<void> {
  const started = monotonicMs();
  const response = await dispatcher.request({
    origin: command.origin,
    path: command.path,
    method: 'GET',
    headers: command.headers,
  });
  let bytes = 0;
  for await (const chunk of response.body) bytes += (chunk as Buffer).length;
  send({ type: 'stream', status: response.statusCode, bytes, ms: monotonicMs() - started });
}

const STAMP = /"bench\/sent-ns":"(\d+)"/;

async function watch(command: Extract<LoadCommand, { cmd: 'watch' }>): Promise<void> {
  const response = await dispatcher.request({
    origin: command.origin,
    path: command.path,
    method: 'GET',
    headers: command.headers,
  });
  const delaysMs: number[] = [];
  let rest = '';
  for await (const chunk of response.body) {
    const arrived = monotonicMs();
    const lines = (rest + (chunk as Buffer).toString('utf8')).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      const stamp = STAMP.exec(line);
      if (stamp?.[1]) delaysMs.push(arrived - Number(BigInt(stamp[1])) / 1e6);
    }
  }
  send({ type: 'watch', status: response.statusCode, delaysMs });
}

const held = new Set<ClientRequest>();
const answered: { path: string; status: number; atMs: number }[] = [];

async function hold(command: Extract<LoadCommand, { cmd: 'hold' }>): Promise<void> {
  const url = new URL(command.origin);
  let failed = 0;
  answered.length = 0;
  for (let i = 0; i < command.paths.length; i += command.batch) {
    const batch = command.paths.slice(i, i + command.batch).map(
      (path) =>
        new Promise<void>((written) => {
          // One connection per request (agent: false): a held request occupies its connection.
          const options = {
            host: url.hostname,
            port: url.port,
            method: command.method,
            path,
            headers: command.headers,
          };
          const req =
            url.protocol === 'http:'
              ? httpRequest({ ...options, agent: false })
              : httpsRequest({ ...options, ca, agent: false });
          held.add(req);
          req.on('response', (res) => {
            answered.push({ path, status: res.statusCode ?? 0, atMs: monotonicMs() });
            res.resume();
            res.on('end', () => held.delete(req));
          });
          req.on('error', () => {
            failed += held.delete(req) ? 1 : 0;
            written();
          });
          req.end(() => written());
        }),
    );
    await Promise.all(batch);
  }
  send({ type: 'hold-sent', count: command.paths.length, failed });
}

async function release(waitMs: number): Promise<void> {
  const deadline = monotonicMs() + waitMs;
  while (held.size > 0 && monotonicMs() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  for (const req of held) req.destroy();
  held.clear();
  send({ type: 'released', answered });
}

async function post(command: Extract<LoadCommand, { cmd: 'post' }>): Promise<void> {
  const sentAtMs = monotonicMs();
  const response = await dispatcher.request({
    origin: new URL(command.url).origin,
    path: new URL(command.url).pathname,
    method: 'POST',
    headers: command.headers,
    body: command.body,
  });
  await response.body.dump();
  send({ type: 'posted', sentAtMs, status: response.statusCode });
}

process.on('message', (command: LoadCommand) => {
  const run = async () => {
    switch (command.cmd) {
      case 'rate':
        return rate(command);
      case 'agents':
        return agents(command);
      case 'stream':
        return stream(command);
      case 'watch':
        return watch(command);
      case 'hold':
        return hold(command);
      case 'release':
        return release(command.waitMs ?? 0);
      case 'post':
        return post(command);
    }
  };
  run().catch((error: unknown) => send({ type: 'error', error: String(error) }));
});
process.on('disconnect', () => process.exit(0));
send({ type: 'ready' });
