import { once } from 'node:events';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { issueServerCert, sharedTestCa } from '../ca/index.js';
import { KubeStatusError } from '../errors.js';
import { ExecServer, type ExecSession } from './exec.js';
import { serveSpdyExec } from './exec-spdy.js';
import { readBody } from './http.js';
import { asksForSpdy } from './httpstream.js';
import { authorized, type KubeUpstreamAuth, rawResponse, recordOf } from './incoming.js';
import {
  type InterceptAction,
  Intercepts,
  injectedStatus,
  type PassThrough,
  passesThrough,
  passThrough,
} from './intercepts.js';
import { PodLogs } from './logs.js';
import { PodPorts, type PortForwardSession, serveSpdyPortForward } from './portforward.js';
import { WebSocketPortForward } from './portforward-websocket.js';
import { type RecordedRequest, type RequestFilter, RequestRecorder } from './recorder.js';
import type { ApiRequest } from './rest.js';
import { route } from './routes.js';
import { serveApi } from './serve.js';
import { BUILTIN_COMMANDS, type ShellCommand } from './shell.js';
import { badRequest, internal, notFound, unauthorized } from './status.js';
import { ObjectStore } from './store.js';
import { Watches } from './watch.js';

export interface KubeUpstreamTls {
  cert: string;
  key: string;
  /** CA that client certificates must chain to. @defaultValue the shared test CA */
  ca?: string;
  /** Refuse the TLS handshake without a client certificate signed by `ca`. */
  requireClientCert?: boolean;
}

export interface KubeUpstreamOptions {
  /**
   * TLS material. @defaultValue a certificate for 127.0.0.1 and localhost from {@link sharedTestCa}.
   * `false` serves plain HTTP (kubectl then sends no bearer token).
   */
  tls?: KubeUpstreamTls | false;
  auth?: KubeUpstreamAuth;
  /** Commands added to (or replacing) the tiny shell's built-ins for exec. */
  commands?: Record<string, ShellCommand>;
  /**
   * 'auto' answers aggregated discovery when the Accept header asks for it (kubectl 1.32 does);
   * 'legacy' always answers the per-group-version documents, as an older API server would.
   * @defaultValue 'auto'
   */
  discovery?: 'auto' | 'legacy';
  /** @defaultValue 0 (a free port) */
  port?: number;
}

/** A recording, in-memory Kubernetes API server for tests. */
export interface KubeUpstream {
  /** `https://127.0.0.1:<port>` (or http:// with `tls: false`). */
  readonly url: string;
  readonly port: number;
  /** PEM of the CA behind the server certificate, for kubeconfigs and HTTP clients. */
  readonly caPem: string | undefined;
  readonly store: ObjectStore;
  readonly logs: PodLogs;
  /** Every request received, in arrival order, including refused and intercepted ones. */
  readonly requests: readonly RecordedRequest[];
  readonly execSessions: readonly ExecSession[];
  /** Where pods' ports lead: `podPorts.expose(namespace, pod, port, { host, port })`. */
  readonly podPorts: PodPorts;
  /** Every forwarded connection (SPDY data/error stream pair), in arrival order. */
  readonly portForwardSessions: readonly PortForwardSession[];
  /** Number of watch streams still open. */
  readonly openWatches: number;
  received(filter?: RequestFilter): RecordedRequest[];
  /** The first matching request, waiting up to `timeoutMs` for it to arrive. */
  waitFor(filter: RequestFilter, timeoutMs?: number): Promise<RecordedRequest>;
  /** Makes matching requests slow, fail or hang; returns the remover. */
  intercept(filter: RequestFilter, action: InterceptAction, options?: { times?: number }): () => void;
  /** Ends every open watch stream, as the API server's watch timeout would. */
  endWatches(): void;
  /** Forgets recorded requests, exec and port-forward sessions and removes intercepts; the store and pod ports are kept. */
  reset(): void;
  close(): Promise<void>;
}

/** Starts the fake API server on 127.0.0.1; close it in afterAll/afterEach. */
export async function startKubeUpstream(options: KubeUpstreamOptions = {}): Promise<KubeUpstream> {
  const tls = options.tls === undefined ? defaultTls() : options.tls;
  const store = new ObjectStore();
  const logs = new PodLogs();
  const watches = new Watches();
  const recorder = new RequestRecorder();
  const intercepts = new Intercepts();
  const exec = new ExecServer({ ...BUILTIN_COMMANDS, ...options.commands });
  const podPorts = new PodPorts();
  const portForwardSessions: PortForwardSession[] = [];
  const websocketPortForward = new WebSocketPortForward(podPorts, portForwardSessions);
  const hung = new Set<Duplex>();
  const discovery = options.discovery ?? 'auto';
  // A deleted pod's containers are gone: `logs -f` ends, as on a real cluster.
  store.subscribe((event) => {
    const { namespace, name } = event.object.metadata;
    if (event.type === 'DELETED' && event.resourceType.resource === 'pods')
      logs.end(namespace ?? 'default', name);
  });

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const recorded = recordOf(req, await readBody(req), false);
    recorder.record(recorded);
    res.once('finish', () => {
      recorded.status = res.statusCode;
    });
    try {
      if (!authorized(options.auth, recorded)) throw unauthorized();
      const action = intercepts.take(recorded);
      if (action && !passesThrough(action)) return await misbehave(action, req, res, recorded);
      if (action) await passThrough(action, recorded);
      const apiRequest: ApiRequest = recorded;
      serveApi(route(recorded.path), apiRequest, res, { store, logs, watches, discovery });
      if (res.headersSent) recorded.status = res.statusCode;
    } catch (error) {
      const status = error instanceof KubeStatusError ? error : internal(String(error));
      if (res.headersSent) res.destroy();
      else {
        const text = JSON.stringify(status.status);
        res.writeHead(status.status.code, { 'Content-Type': 'application/json' }).end(text);
      }
    }
  }

  async function misbehave(
    action: Exclude<InterceptAction, PassThrough>,
    req: IncomingMessage,
    res: ServerResponse,
    recorded: RecordedRequest,
  ): Promise<void> {
    if ('respond' in action) {
      const { status, body, headers } = action.respond;
      const text = typeof body === 'string' ? body : JSON.stringify(body ?? injectedStatus(status));
      res.writeHead(status, { 'Content-Type': 'application/json', ...headers }).end(text);
    } else if ('hang' in action) {
      hung.add(req.socket);
      req.socket.once('close', () => hung.delete(req.socket));
    } else if ('destroy' in action) req.socket.destroy();
    else await action.handle(req, res, recorded);
  }

  async function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const recorded = recordOf(req, Buffer.alloc(0), true);
    recorder.record(recorded);
    const refuse = (error: KubeStatusError) => {
      recorded.status = error.status.code;
      rawResponse(socket, error.status.code, error.status);
    };
    if (!authorized(options.auth, recorded)) return refuse(unauthorized());
    const action = intercepts.take(recorded);
    if (action && 'respond' in action) {
      recorded.status = action.respond.status;
      return rawResponse(
        socket,
        action.respond.status,
        action.respond.body ?? injectedStatus(action.respond.status),
      );
    }
    if (action && 'hang' in action) {
      hung.add(socket);
      socket.once('close', () => hung.delete(socket));
      return;
    }
    if (action && 'destroy' in action) return void socket.destroy();
    if (action && 'handle' in action) {
      return refuse(
        internal('an intercept with `handle` cannot serve an upgrade; use respond, hang, destroy or delayMs'),
      );
    }
    if (action && passesThrough(action)) await passThrough(action, recorded);

    const r = route(recorded.path);
    const subresource = r.kind === 'resource' ? r.subresource : undefined;
    const streaming = subresource === 'exec' || subresource === 'attach' || subresource === 'portforward';
    if (r.kind !== 'resource' || !streaming || r.type.resource !== 'pods' || !r.name) {
      return refuse(
        badRequest(
          `the testkit upstream upgrades only pods/exec, pods/attach and pods/portforward, not ${recorded.path}`,
        ),
      );
    }
    const pod = store.get(r.type, r.namespace, r.name);
    if (!pod) return refuse(notFound({ kind: 'pods', name: r.name }));
    const namespace = r.namespace ?? 'default';
    const spdy = asksForSpdy(req);
    const websocket = String(req.headers.upgrade ?? '').toLowerCase() === 'websocket';
    if (subresource === 'portforward' && (spdy || websocket)) {
      const target = { namespace, pod: r.name, uid: pod.metadata.uid ?? '' };
      if (spdy) {
        recorded.status = 101;
        return serveSpdyPortForward(req, socket, head, target, podPorts, portForwardSessions);
      }
      const refusal = WebSocketPortForward.refusal(req, recorded.query);
      if (refusal) return refuse(badRequest(refusal));
      recorded.status = 101;
      return websocketPortForward.upgrade(req, socket, head, target, recorded.query);
    }
    const target = { kind: subresource as 'exec' | 'attach', namespace, pod: r.name, query: recorded.query };
    if (subresource !== 'portforward' && spdy) {
      recorded.status = 101;
      return serveSpdyExec(req, socket, head, target, exec.commands, exec.sessions);
    }
    if (subresource === 'portforward' || !websocket || !ExecServer.speaks(req)) {
      return refuse(
        badRequest(
          `the testkit upstream does not speak ${req.headers.upgrade} ` +
            `(${req.headers['x-stream-protocol-version'] ?? req.headers['sec-websocket-protocol'] ?? 'no protocol'}) ` +
            `for pods/${subresource}; it serves exec and attach over WebSocket (v5.channel.k8s.io, ` +
            'v4.channel.k8s.io) or SPDY/3.1 (v4.channel.k8s.io), and portforward over SPDY/3.1 (portforward.k8s.io), ' +
            'WebSocket (v4.channel.k8s.io) or SPDY tunnelled in WebSocket (SPDY/3.1+portforward.k8s.io)',
        ),
      );
    }
    recorded.status = 101;
    exec.upgrade(req, socket, head, target);
  }

  const server: Server = tls
    ? createHttpsServer({
        cert: tls.cert,
        key: tls.key,
        ca: tls.ca ?? sharedTestCa().certPem,
        requestCert: Boolean(tls.requireClientCert || options.auth?.clientCert),
        rejectUnauthorized: Boolean(tls.requireClientCert),
      })
    : createHttpServer();
  // A client that goes away mid-request (a killed kubectl, a gateway giving up) must not take the
  // test process down: its request simply ends.
  server.on('request', (req, res) => {
    onRequest(req, res).catch(() => res.destroy());
  });
  server.on('upgrade', (req, socket: Duplex, head) => {
    socket.on('error', () => socket.destroy());
    onUpgrade(req, socket, head).catch(() => socket.destroy());
  });
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('secureConnection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.listen(options.port ?? 0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    caPem: options.tls === undefined ? sharedTestCa().certPem : options.tls ? options.tls.ca : undefined,
    store,
    logs,
    get requests() {
      return recorder.requests;
    },
    get execSessions() {
      return exec.sessions;
    },
    podPorts,
    portForwardSessions,
    get openWatches() {
      return watches.size;
    },
    received: (filter) => recorder.received(filter),
    waitFor: (filter, timeoutMs) => recorder.waitFor(filter, timeoutMs),
    intercept: (filter, action, interceptOptions) => intercepts.add(filter, action, interceptOptions?.times),
    endWatches: () => watches.endAll(),
    reset() {
      recorder.reset();
      exec.sessions.length = 0;
      portForwardSessions.length = 0;
      intercepts.clear();
    },
    async close() {
      watches.endAll();
      logs.endFollowers();
      exec.close();
      websocketPortForward.close();
      const closed = once(server, 'close');
      server.close();
      for (const socket of sockets) socket.destroy();
      for (const socket of hung) socket.destroy();
      await closed;
    },
  };
}

let defaultCert: { cert: string; key: string } | undefined;

/** One server certificate per process for 127.0.0.1 and localhost, from the shared CA. */
function defaultTls(): KubeUpstreamTls {
  if (!defaultCert) {
    const issued = issueServerCert(sharedTestCa(), { hosts: ['127.0.0.1', 'localhost'] });
    defaultCert = { cert: issued.certPem, key: issued.keyPem };
  }
  return defaultCert;
}
