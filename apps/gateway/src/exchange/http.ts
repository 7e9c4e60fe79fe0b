import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { type BodyReadOptions, type BodyResult, readBody } from '../body/index.js';
import { downstreamResponseHeaders, type HeaderMap, upstreamRequestHeaders } from '../headers/index.js';
import { type KubeStatus, kubeStatus, retryAfter } from '../kube-status/index.js';
import { type ClusterRoute, upstreamTarget } from '../routing/index.js';
import type { ByteTap } from '../session-tap/index.js';
import type { ClusterUpstream } from '../upstream/index.js';
import { KEEP_CONNECTION } from '../upstream/keep-connection.js';
import type { Exchange, ForwardResult } from './types.js';

/** The upstream's own Warning headers first, then the gateway's. */
function withWarnings(headers: HeaderMap, warnings: readonly string[]): HeaderMap {
  if (warnings.length === 0) return headers;
  const upstream = headers.warning;
  const own = upstream === undefined ? [] : Array.isArray(upstream) ? upstream : [String(upstream)];
  return { ...headers, warning: [...own, ...warnings] };
}

/** Methods whose requests carry no body worth judging; they stream straight through. */
const STREAMED = new Set(['GET', 'HEAD']);

/**
 * One HTTP request and its response. A class, not an object literal of closures: a held request keeps
 * its exchange for minutes, and the literal (its `status` getter put it in dictionary mode) and its four
 * closures were ~1.1 KB of each held request's heap, the instance is 104 bytes (heap snapshot;
 * scripts/bench/findings.md).
 */
class HttpExchange implements Exchange {
  readonly kind = 'http';
  readonly method: string;
  readonly target: string;
  readonly headers: IncomingMessage['headers'];
  readonly remoteAddress: string | undefined;
  readonly #req: IncomingMessage;
  readonly #res: ServerResponse;
  /**
   * Most requests are allowed and streamed through, and nothing of theirs needs an AbortSignal (each is
   * an EventTarget, and more once undici listens to it): it is made when first asked for (a held
   * request, its preview and dispatch), already aborted if the client left before.
   */
  #controller: AbortController | undefined;
  /**
   * Undici hears of a departure from a plain emitter, which it takes as a signal: it listens with
   * `once('abort')` and aborts with `signal.reason ?? new RequestAbortedError()` (undici 7
   * lib/api/api-request.js, lib/core/util.js addAbortListener). An emitter has no `aborted`, so a
   * departure before undici listens is checked by `#gone` (forward).
   */
  #forwarding: EventEmitter | undefined;
  /** The client left before its answer was complete. */
  #gone = false;
  #sent: number | undefined;

  constructor(req: IncomingMessage, res: ServerResponse) {
    this.#req = req;
    this.#res = res;
    this.method = (req.method ?? 'GET').toUpperCase();
    this.target = req.url ?? '/';
    this.headers = req.headers;
    this.remoteAddress = req.socket.remoteAddress;
    // 'close' on the response fires when it finished or when the connection dropped; only the latter aborts.
    res.on('close', () => {
      if (res.writableFinished) return;
      this.#gone = true;
      this.#controller?.abort();
      this.#forwarding?.emit('abort');
    });
  }

  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#gone) this.#controller.abort();
    }
    return this.#controller.signal;
  }

  get status(): number | undefined {
    return this.#sent;
  }

  async readBody(options: Omit<BodyReadOptions, 'declaredLength'>): Promise<BodyResult | undefined> {
    if (STREAMED.has(this.method)) {
      // A GET or HEAD body means nothing to Kubernetes and is never forwarded; drain it.
      this.#req.resume();
      return undefined;
    }
    return readBody(this.#req, { ...options, declaredLength: this.#req.headers['content-length'] });
  }

  reject(status: KubeStatus): void {
    const req = this.#req;
    const res = this.#res;
    if (res.headersSent) {
      res.destroy();
      return;
    }
    this.#sent = status.code;
    const body = JSON.stringify(status);
    res.writeHead(status.code, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      'cache-control': 'no-store',
      ...(retryAfter(status) ? { 'retry-after': retryAfter(status) } : {}),
    });
    res.end(body);
    // A request refused before its body was read (401, 413) leaves bytes on the socket; do not reuse it.
    if (!req.complete) res.on('finish', () => req.socket.destroy());
  }

  async forward(
    upstream: ClusterUpstream,
    route: ClusterRoute,
    body: Buffer | undefined,
    _tap?: ByteTap,
    warnings: readonly string[] = [],
  ): Promise<ForwardResult> {
    const req = this.#req;
    const res = this.#res;
    const { method } = this;
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    // The client's headers are a fresh map: the credentials go into it, not into another copy.
    let headers: HeaderMap;
    try {
      headers = Object.assign(
        upstreamRequestHeaders(req.headers, { upgrade: false }),
        await upstream.authHeaders(),
      );
    } catch (error) {
      return this.#unanswered(upstream, error, elapsed());
    }
    // Gone before (or while the credentials were read): nothing is sent. From here on, undici
    // listens to the emitter (it subscribes as stream() is called).
    if (this.#gone) return { outcome: 'aborted' };
    this.#forwarding = new EventEmitter();
    return await new Promise<ForwardResult>((settle) => {
      let answered = false;
      upstream.dispatcher
        .stream(
          {
            origin: upstream.url.origin,
            path: upstreamTarget(upstream.url, route),
            method,
            headers,
            body: STREAMED.has(method) ? null : (body ?? null),
            signal: this.#forwarding,
            ...KEEP_CONNECTION,
            // Watches and `logs -f` may be quiet for longer than any body timeout; the client's close ends them.
            bodyTimeout: 0,
          },
          // The cluster's body goes straight into the client's response, no body stream or pipeline between:
          // undici writes it with backpressure and ends it, destroys it when the cluster fails mid-body, and
          // aborts the cluster's request when the client goes (undici 7 lib/api/api-stream.js).
          ({ statusCode, headers: answer }) => {
            this.#sent = statusCode;
            res.writeHead(statusCode, withWarnings(downstreamResponseHeaders(answer), warnings));
            // Only now: a head Node refused to write fails the stream before anything was sent, and gets the 503.
            answered = true;
            // A stream of unknown length (watch, logs -f) may not produce a body byte for minutes: send the
            // headers now. A response with a length sends them with its first bytes, one TLS write, not two.
            if (answer['content-length'] === undefined) res.flushHeaders();
            settle({ outcome: 'response', status: statusCode, durationMs: elapsed() });
            return res;
          },
        )
        .catch((error: unknown) => {
          // Past the answer's head, a failure is the body's: undici has already cut the client's response off.
          if (!answered) settle(this.#unanswered(upstream, error, elapsed()));
        });
    });
  }

  /** The cluster gave no answer: 503 unless the client left first. */
  #unanswered(upstream: ClusterUpstream, error: unknown, durationMs: number): ForwardResult {
    if (this.#gone) return { outcome: 'aborted' };
    const message = (error as Error).message;
    this.reject(
      kubeStatus(
        'ServiceUnavailable',
        `cluster ${upstream.name} (${upstream.url.origin}) did not answer: ${message}; the request was not completed`,
      ),
    );
    return { outcome: 'failed', error: message, durationMs };
  }
}

export function httpExchange(req: IncomingMessage, res: ServerResponse): Exchange {
  return new HttpExchange(req, res);
}
