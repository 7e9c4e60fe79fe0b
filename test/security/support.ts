import { type Agent, request as httpsRequest } from 'node:https';
import { connect as tlsConnect } from 'node:tls';
import type { RecordedRequest } from '@gatehouse/testkit/kube-upstream';
import type { Stack } from '../stack/index.js';
import { findButton } from '../stack/slack-clicks.js';

/**
 * What the security suite reads and sends besides kubectl: raw requests to the gateway, the
 * approval and audit records straight from Redis (not through the code under attack), and the
 * `[security]` count lines SECURITY.md quotes.
 */

/** Prints the count line the suite's assertions are about, e.g. `[security] slack forgery: 0/25 accepted`. */
export function report(name: string, count: number, total: number, what: string, extra = ''): void {
  console.log(`[security] ${name}: ${count}/${total} ${what}${extra ? ` (${extra})` : ''}`);
}

export interface StoredVote {
  readonly userId: string;
  readonly decision: 'approve' | 'deny';
}

export interface StoredApproval {
  readonly state: string;
  readonly votes: StoredVote[];
  readonly raw: Record<string, string>;
}

/** The approval hash as Redis holds it. */
export async function storedApproval(stack: Stack, id: string): Promise<StoredApproval> {
  const raw = await stack.redis.redis.hgetall(stack.redis.key('approval', id));
  return { state: raw.state ?? 'missing', votes: JSON.parse(raw.votes ?? '[]') as StoredVote[], raw };
}

export interface AuditEvent {
  readonly seq: number;
  readonly type: string;
  readonly approvalId?: string;
  readonly [field: string]: unknown;
}

/** Every audit event in the stack's chain, in order. */
export async function auditEvents(stack: Stack): Promise<AuditEvent[]> {
  const entries = await stack.redis.redis.xrange(stack.redis.key('audit', 'log'), '-', '+');
  return entries.map(([, fields]) => {
    const at = fields.indexOf('e');
    return JSON.parse(fields[at + 1] ?? '{}') as AuditEvent;
  });
}

export interface RawAnswer {
  readonly status: number;
  readonly body: string;
}

export interface GatewayRequest {
  readonly method: string;
  /** The request target exactly as sent (not normalised by the client). */
  readonly path: string;
  readonly headers?: Record<string, string | string[]>;
  readonly body?: Buffer | string;
  /** `undefined` sends no Authorization header; the agent's token by default. */
  readonly token?: string | undefined;
  /** Give up after this long and answer status 0: the gateway is holding the request. */
  readonly holdMs?: number;
  /** A keep-alive agent, to time requests without a handshake each. @defaultValue a new connection */
  readonly agent?: Agent;
}

/** One HTTPS request to the gateway with Node's client, which sends the path as given. */
export function gatewayRequest(stack: Stack, req: GatewayRequest): Promise<RawAnswer> {
  const token = 'token' in req ? req.token : stack.agentTokens['agent-oncall'];
  const url = new URL(stack.gatewayUrl);
  return new Promise((resolve, reject) => {
    const outgoing = httpsRequest(
      {
        host: url.hostname,
        port: url.port,
        method: req.method,
        path: req.path,
        ca: stack.gatewayCaPem,
        agent: req.agent ?? false,
        headers: {
          ...(token !== undefined && { authorization: `Bearer ${token}` }),
          // Node frames a DELETE body with neither header, so the server would read it as a next request.
          ...(req.body !== undefined &&
            !Object.keys(req.headers ?? {}).some((h) => /^(content-length|transfer-encoding)$/i.test(h)) && {
              'content-length': Buffer.byteLength(req.body),
            }),
          ...req.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    if (req.holdMs !== undefined) {
      outgoing.setTimeout(req.holdMs, () => {
        outgoing.destroy();
        resolve({ status: 0, body: 'held' });
      });
    }
    outgoing.end(req.body);
  });
}

/**
 * Writes raw bytes to the gateway over TLS (later parts once the gateway answered) and collects what comes back until the gateway closes
 * the connection or `waitMs` passes (for requests a client would write by hand: pipelining,
 * malformed framing).
 */
export function rawExchange(
  stack: Stack,
  parts: readonly (Buffer | string)[],
  waitMs = 2000,
): Promise<string> {
  const url = new URL(stack.gatewayUrl);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    // The first part goes at once, each later one after the gateway has answered something.
    const queue = [...parts];
    const socket = tlsConnect({ host: url.hostname, port: Number(url.port), ca: stack.gatewayCaPem }, () =>
      socket.write(queue.shift()!),
    );
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(Buffer.concat(chunks).toString('latin1'));
    };
    const timer = setTimeout(done, waitMs);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      const next = queue.shift();
      if (next !== undefined && socket.writable) socket.write(next);
    });
    socket.on('close', done);
    socket.on('error', done);
  });
}

/** The approval id a posted approval message carries in its metadata. */
export function approvalIdOf(message: { metadata?: { event_payload: Record<string, unknown> } }): string {
  return String(message.metadata?.event_payload.approval_id ?? '');
}

/**
 * Whether the API server runs this request as a dry run, by its own rules (written here apart from
 * the gateway's parser, so a shared mistake cannot hide): a DELETE with a body reads DeleteOptions
 * from the body and ignores the query; anything else reads `dryRun` from the query. Every value
 * must be `All`.
 */
export function isServerDryRun(request: Pick<RecordedRequest, 'method' | 'query' | 'body'>): boolean {
  const all = (values: unknown) =>
    Array.isArray(values) && values.length > 0 && values.every((value) => value === 'All');
  if (request.method === 'DELETE' && request.body.length > 0) {
    try {
      return all((JSON.parse(request.body.toString('utf8')) as { dryRun?: unknown }).dryRun);
    } catch {
      return false;
    }
  }
  return all(request.query.getAll('dryRun'));
}

/**
 * A request that changes the cluster: any method but GET/HEAD that is not a server-side dry run, an
 * upgrade, or a connect/proxy subresource of a pod, service or node.
 */
export function isRealMutation(request: RecordedRequest): boolean {
  if (request.upgrade) return true;
  if (/\/pods\/[^/]+\/(exec|attach|portforward)(\/|$)/i.test(request.path)) return true;
  if (/\/(pods|services|nodes)\/[^/]+\/proxy(\/|$)/i.test(request.path)) return true;
  return !['GET', 'HEAD'].includes(request.method) && !isServerDryRun(request);
}

/** Deployment `default/web` as kubectl would send it from a file, with `replicas` exactly as given. */
export function webDeploymentManifest(replicas: unknown): string {
  return JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'app', image: 'nginx' }] },
      },
    },
  });
}

/** Runs kubectl as the agent until its request is held and posted; returns the message and approval id. */
export async function heldKubectl(stack: Stack, args: readonly string[]) {
  const before = stack.approvalMessages().length;
  const kubectl = stack.kubectl(args);
  const [message] = (await stack.waitForMessages(before + 1)).slice(before);
  if (!message) throw new Error('no approval message');
  const id = findButton(stack.message(message.ts), 'Approve')?.value ?? '';
  return { kubectl, message, id };
}
