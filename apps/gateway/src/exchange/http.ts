import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { pipeline } from 'node:stream/promises';
import type { Dispatcher } from 'undici';
import { readBody } from '../body/index.js';
import { downstreamResponseHeaders, type HeaderMap, upstreamRequestHeaders } from '../headers/index.js';
import { type KubeStatus, kubeStatus, retryAfter } from '../kube-status/index.js';
import { upstreamTarget } from '../routing/index.js';
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

export function httpExchange(req: IncomingMessage, res: ServerResponse): Exchange {
  // Most requests are allowed and streamed through, and nothing of theirs needs an AbortSignal (each is
  // an EventTarget, and more once undici listens to it): it is made when first asked for (a held request,
  // its preview and dispatch), already aborted if the client left before. Undici hears of a departure
  // from a plain emitter, which it takes as a signal.
  let controller: AbortController | undefined;
  let forwarding: EventEmitter | undefined;
  let gone = false;
  // 'close' on the response fires when it finished or when the connection dropped; only the latter aborts.
  res.on('close', () => {
    if (res.writableFinished) return;
    gone = true;
    controller?.abort();
    forwarding?.emit('abort');
  });
  const method = (req.method ?? 'GET').toUpperCase();
  let sent: number | undefined;

  const reject = (status: KubeStatus) => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    sent = status.code;
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
  };

  return {
    kind: 'http',
    remoteAddress: req.socket.remoteAddress,
    method,
    target: req.url ?? '/',
    headers: req.headers,
    get signal() {
      if (!controller) {
        controller = new AbortController();
        if (gone) controller.abort();
      }
      return controller.signal;
    },
    get status() {
      return sent;
    },

    async readBody(options) {
      if (STREAMED.has(method)) {
        // A GET or HEAD body means nothing to Kubernetes and is never forwarded; drain it.
        req.resume();
        return undefined;
      }
      return readBody(req, { ...options, declaredLength: req.headers['content-length'] });
    },

    reject,

    async forward(upstream, route, body, _tap, warnings = []): Promise<ForwardResult> {
      const started = performance.now();
      const elapsed = () => Math.round(performance.now() - started);
      let response: Dispatcher.ResponseData;
      try {
        // The client's headers are a fresh map: the credentials go into it, not into another copy.
        const headers = Object.assign(
          upstreamRequestHeaders(req.headers, { upgrade: false }),
          await upstream.authHeaders(),
        );
        // Gone before (or while the credentials were read): nothing is sent. From here on, undici
        // listens to `forwarding` (it subscribes as request() is called).
        if (gone) return { outcome: 'aborted' };
        forwarding = new EventEmitter();
        response = await upstream.dispatcher.request({
          origin: upstream.url.origin,
          path: upstreamTarget(upstream.url, route),
          method,
          headers,
          body: STREAMED.has(method) ? null : (body ?? null),
          signal: forwarding,
          // Watches and `logs -f` may be quiet for longer than any body timeout; the client's close ends them.
          bodyTimeout: 0,
        });
      } catch (error) {
        if (gone) return { outcome: 'aborted' };
        const message = (error as Error).message;
        reject(
          kubeStatus(
            'ServiceUnavailable',
            `cluster ${upstream.name} (${upstream.url.origin}) did not answer: ${message}; the request was not completed`,
          ),
        );
        return { outcome: 'failed', error: message, durationMs: elapsed() };
      }
      const durationMs = elapsed();
      sent = response.statusCode;
      res.writeHead(response.statusCode, withWarnings(downstreamResponseHeaders(response.headers), warnings));
      // A stream of unknown length (watch, logs -f) may not produce a body byte for minutes: send the
      // headers now. A response with a length sends them with its first bytes, one TLS write, not two.
      if (response.headers['content-length'] === undefined) res.flushHeaders();
      // Either side ending early destroys the other: a client abort aborts the upstream read.
      pipeline(response.body, res).catch(() => undefined);
      return { outcome: 'response', status: response.statusCode, durationMs };
    },
  };
}
