import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Verdict } from './guard/index.js';
import type { Log } from './ports.js';

/** Slack's interactive payloads are small; anything bigger is not Slack. */
const BODY_LIMIT = 1024 * 1024;

export interface SlackEndpoint {
  readonly path: string;
  readonly guard: (headers: IncomingMessage['headers'], rawBody: Buffer) => Promise<Verdict>;
  /** Bolt's HTTPReceiver request listener; it reuses `rawBody` when set and verifies the signature again. */
  readonly bolt: (request: IncomingMessage, response: ServerResponse) => void;
}

export interface SlackHttpServerOptions {
  /** HTTP mode only; in Socket Mode requests arrive over the socket and this server only has /healthz. */
  readonly slack?: SlackEndpoint | undefined;
  readonly healthy: () => Promise<boolean>;
  readonly log: Log;
}

/** The body, or undefined when it is over the limit (read to the end and dropped, so the 413 can be sent). */
function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= BODY_LIMIT) chunks.push(chunk);
    });
    request.on('end', () => resolve(size <= BODY_LIMIT ? Buffer.concat(chunks) : undefined));
    request.on('error', reject);
  });
}

function answer(response: ServerResponse, status: number, body?: object) {
  response.writeHead(status, body ? { 'content-type': 'application/json' } : {});
  response.end(body ? JSON.stringify(body) : undefined);
}

/**
 * The bot's HTTP front: `/healthz`, and in HTTP mode the Slack endpoint, where the request guard
 * (signature, timestamp window, replay) runs before Bolt sees anything.
 */
export function createSlackHttpServer(options: SlackHttpServerOptions): Server {
  const { log } = options;
  return createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://bot').pathname;
    if (path === '/healthz' && request.method === 'GET') {
      options.healthy().then(
        (ok) => answer(response, ok ? 200 : 503, ok ? { ok } : { ok, error: 'redis unavailable' }),
        () => answer(response, 503, { ok: false, error: 'redis unavailable' }),
      );
      return;
    }
    const slack = options.slack;
    if (!slack || path !== slack.path || request.method !== 'POST') return answer(response, 404);
    (async () => {
      const rawBody = await readBody(request);
      if (!rawBody) return answer(response, 413);
      const verdict = await slack.guard(request.headers, rawBody);
      if (!verdict.ok) {
        log.warn(
          { rejection: verdict.rejection, ip: request.socket.remoteAddress },
          'rejected a request to the Slack endpoint',
        );
        return answer(response, 401);
      }
      slack.bolt(Object.assign(request, { rawBody }), response);
    })().catch((error: unknown) => {
      log.error({ err: error }, 'Slack endpoint failed');
      if (!response.headersSent) answer(response, 500);
    });
  });
}
