import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import { RedisError, RedisErrorCode } from '@gatehouse/redis';
import { httpExchange } from '../exchange/http.js';
import type { Exchange } from '../exchange/types.js';
import { upgradeExchange } from '../exchange/upgrade.js';
import { kubeStatus } from '../kube-status/index.js';
import { handleExchange } from '../pipeline/index.js';
import type { GatewayContext } from '../ports.js';
import type { KeyPair } from '../server-tls/index.js';

export interface ServerOptions {
  /** The server certificate, or none when a TLS-terminating proxy sits in front (plain HTTP). */
  readonly tls: KeyPair | undefined;
  /** Whether the gateway can serve: Redis answers. */
  readonly ready: () => Promise<boolean>;
}

const OWN_ENDPOINTS = ['/healthz', '/readyz', '/metrics'] as const;
type OwnEndpoint = (typeof OWN_ENDPOINTS)[number];

/**
 * The gateway's own endpoint a request target names; undefined for everything else, a cluster request.
 * Decided without waiting or splitting the target: every cluster request passes through here.
 */
function ownEndpoint(target: string): OwnEndpoint | undefined {
  const end = target.indexOf('?');
  const path = end === -1 ? target : target.slice(0, end);
  return OWN_ENDPOINTS.find((endpoint) => endpoint === path);
}

async function serveOwn(
  endpoint: OwnEndpoint,
  res: ServerResponse,
  ctx: GatewayContext,
  options: ServerOptions,
): Promise<void> {
  const send = (code: number, type: string, body: string) => {
    res.writeHead(code, { 'content-type': type, 'cache-control': 'no-store' });
    res.end(body);
  };
  switch (endpoint) {
    case '/healthz':
      send(200, 'text/plain', 'ok\n');
      return;
    case '/readyz': {
      const ready = await options.ready().catch(() => false);
      send(ready ? 200 : 503, 'text/plain', ready ? 'ok\n' : 'redis unreachable\n');
      return;
    }
    case '/metrics':
      send(200, ctx.metrics.registry.contentType, await ctx.metrics.registry.metrics());
      return;
  }
}

async function run(exchange: Exchange, ctx: GatewayContext): Promise<void> {
  const span = ctx.tracer?.start(exchange.method, exchange.headers);
  try {
    await handleExchange(exchange, ctx, span);
  } catch (error) {
    // Fail closed: whatever broke (Redis, the policy), nothing was forwarded for this request.
    ctx.logger.error(
      { err: error, method: exchange.method, path: exchange.target.split('?')[0] },
      'request failed',
    );
    // A claim or new approval the replicas did not confirm in time: a failover now could lose it, so
    // nothing was sent, and the client is told to come back (kubectl shows the message).
    const notDurable = error instanceof RedisError && error.code === RedisErrorCode.NotDurable;
    exchange.reject(
      kubeStatus(
        notDurable ? 'ServiceUnavailable' : 'InternalError',
        `gatehouse could not process the request: ${(error as Error).message}; nothing was sent to the cluster`,
      ),
    );
  } finally {
    span?.end(exchange.status);
  }
}

/**
 * HTTP/1.1 by ALPN, chosen in a callback rather than by `ALPNProtocols` (https' default): Node copies an
 * `ALPNProtocols` buffer into every TLS socket, a few bytes of Buffer's shared 8 KB pool that keep their
 * pool slab alive for as long as the connection — 1.1 KB per held request with 2,000 held (heap
 * snapshot; scripts/bench/findings.md). A client offering no HTTP/1.1 is refused, as before.
 */
const http11 = ({ protocols }: { protocols: string[] }) =>
  protocols.includes('http/1.1') ? 'http/1.1' : undefined;

export interface GatewayServer {
  readonly server: Server;
  /** Serves a new certificate to new connections (no-op for plain HTTP). */
  setKeyPair(pair: KeyPair): void;
  /** Stops listening and drops every connection, held and upgraded ones included. */
  close(): Promise<void>;
}

/** An HTTPS (or, behind a terminating proxy, HTTP) server running every request through the pipeline. */
export function createGatewayServer(ctx: GatewayContext, options: ServerOptions): GatewayServer {
  // Upgraded sockets leave the HTTP server's bookkeeping; keep them to close them on shutdown.
  const upgraded = new Set<Duplex>();
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    const own = ownEndpoint(req.url ?? '/');
    if (own) {
      // A metrics source that reads Redis may fail; that is a 500 for the scraper, not a crash.
      serveOwn(own, res, ctx, options).catch((error: unknown) => {
        ctx.logger.error({ err: error, endpoint: own }, 'cannot serve the endpoint');
        if (res.headersSent) res.destroy();
        else res.writeHead(500, { 'content-type': 'text/plain' }).end(`${own} failed\n`);
      });
    } else {
      void run(httpExchange(req, res), ctx);
    }
  };
  const https = options.tls
    ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key, ALPNCallback: http11 }, onRequest)
    : undefined;
  const server: Server = https ?? createHttpServer(onRequest);
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    upgraded.add(socket);
    socket.on('close', () => upgraded.delete(socket));
    void run(upgradeExchange(req, socket, head), ctx);
  });
  // Held requests wait for minutes; Node's defaults would cut them.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  return {
    server,
    setKeyPair: (pair) => https?.setSecureContext({ cert: pair.cert, key: pair.key }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        for (const socket of upgraded) socket.destroy();
      }),
  };
}
