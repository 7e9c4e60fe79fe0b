/**
 * Child process: the floor for holding requests in Node — a server that reads each request and
 * never answers, nothing else. HTTPS with BENCH_TLS_CERT/KEY, plain HTTP when BENCH_FLOOR_PLAIN=1.
 * The gateway's memory per held request is compared with this one's.
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

const held = new Set<IncomingMessage>();
const onRequest = (req: IncomingMessage) => {
  held.add(req);
  req.resume();
  // The request itself 'close's once its body is read; held means its connection is still open.
  req.socket.on('close', () => held.delete(req));
};
const server =
  process.env.BENCH_FLOOR_PLAIN === '1'
    ? createHttpServer(onRequest)
    : createHttpsServer(
        {
          cert: readFileSync(process.env.BENCH_TLS_CERT ?? ''),
          key: readFileSync(process.env.BENCH_TLS_KEY ?? ''),
        },
        onRequest,
      );
server.requestTimeout = 0;
server.headersTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.send?.({ type: 'ready', port: (server.address() as AddressInfo).port });
});
process.on('message', () => process.send?.({ type: 'held', count: held.size }));
process.on('disconnect', () => process.exit(0));
