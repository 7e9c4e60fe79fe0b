/**
 * Child process: the floor for a Node reverse proxy — TLS in, undici out, the response written
 * back, nothing else (no routing, auth, policy, audit or logging). The gateway is compared to it.
 * BENCH_BARE_FORWARD=stream (the default) forwards as the gateway does since stop 29, with undici's
 * stream() writing the answer into the response; `pipe` is the floor as it was before: request()
 * and the body stream pipeline()d into the response, kept as a row so the two floors can be compared.
 */
import { readFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';
import { Agent } from 'undici';

const upstream = new URL(process.env.BENCH_UPSTREAM ?? '');
const ca = readFileSync(process.env.BENCH_TLS_CA ?? '');
const dispatcher = new Agent({ connect: { ca }, bodyTimeout: 0 });
const PIPE = process.env.BENCH_BARE_FORWARD === 'pipe';
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'host',
  'te',
  'trailer',
]);

function forwardable(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  }
  return out;
}

const server = createServer(
  {
    cert: readFileSync(process.env.BENCH_TLS_CERT ?? ''),
    key: readFileSync(process.env.BENCH_TLS_KEY ?? ''),
  },
  async (req, res) => {
    const options = {
      origin: upstream.origin,
      path: req.url ?? '/',
      method: (req.method ?? 'GET') as 'GET',
      headers: forwardable(req.headers),
      body: req.method === 'GET' || req.method === 'HEAD' ? null : req,
      bodyTimeout: 0,
    };
    /** Streams (watch) get their headers at once; a response with a length sends them with its body. */
    const head = (statusCode: number, headers: IncomingHttpHeaders) => {
      res.writeHead(statusCode, forwardable(headers));
      if (headers['content-length'] === undefined) res.flushHeaders();
    };
    try {
      if (PIPE) {
        const response = await dispatcher.request(options);
        head(response.statusCode, response.headers);
        await pipeline(response.body, res);
      } else {
        await dispatcher.stream(options, ({ statusCode, headers }) => {
          head(statusCode, headers);
          return res;
        });
      }
    } catch {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    }
  },
);
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.send?.({ type: 'ready', port: (server.address() as AddressInfo).port });
});
process.on('disconnect', () => process.exit(0));
// An exit, not a kill, so a --cpu-prof profile (BENCH_BARE_NODE_ARGS) is written.
process.on('SIGTERM', () => process.exit(0));
