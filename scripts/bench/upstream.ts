/**
 * Child process: a fixed-response HTTPS stand-in for the Kubernetes API, cheap enough that the
 * proxies in front of it are what the pass-through numbers measure. The same upstream serves the
 * direct path, the bare proxy and the gateway.
 *   GET    /api/v1/namespaces/<ns>/pods/<name>   a small Pod (~1 KB), the same bytes every time
 *   GET    /api/v1/pods                          a PodList of BENCH_LIST_MB, streamed with backpressure
 *   GET    …/pods?watch=1                        BENCH_WATCH_EVENTS watch events, each stamped when written
 *   DELETE …?dryRun=All                          the Pod (the gateway's preview of a held delete)
 *   DELETE …                                     a 200 Status; its arrival time goes to the parent over IPC
 * Times are process.hrtime (CLOCK_MONOTONIC), which every process on the host shares.
 */
import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';

const LIST_BYTES = Number(process.env.BENCH_LIST_MB ?? 50) * 1024 * 1024;
const WATCH_EVENTS = Number(process.env.BENCH_WATCH_EVENTS ?? 10_000);
/** Watch events are written in bursts of this many every WATCH_TICK_MS: ~2,000 events/s. */
const WATCH_BURST = 20;
const WATCH_TICK_MS = 10;

function podJson(namespace: string, name: string, extra: Record<string, string> = {}): string {
  return JSON.stringify({
    kind: 'Pod',
    apiVersion: 'v1',
    metadata: {
      name,
      namespace,
      uid: '6f1c2c8e-1b7e-4a59-9a43-2f1d5b0c9e11',
      resourceVersion: '4242',
      creationTimestamp: '2026-11-01T10:00:00Z',
      labels: { app: 'api', 'pod-template-hash': '7d9f' },
      annotations: extra,
    },
    spec: {
      containers: [{ name: 'api', image: 'registry.example/api:1.42.0', ports: [{ containerPort: 8080 }] }],
      nodeName: 'ip-10-0-1-23.eu-west-1.compute.internal',
      serviceAccountName: 'api',
    },
    status: {
      phase: 'Running',
      podIP: '10.0.1.77',
      startTime: '2026-11-01T10:00:02Z',
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-11-01T10:00:09Z' }],
    },
  });
}

const POD = Buffer.from(podJson('x', 'y'));
const LIST_ITEM = Buffer.from(`${podJson('bench', 'list-item')},`);
const JSON_HEADERS = { 'content-type': 'application/json', 'cache-control': 'no-cache, private' };

const nowNs = (): string => process.hrtime.bigint().toString();

function sendList(res: ServerResponse): void {
  res.writeHead(200, JSON_HEADERS);
  res.write('{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"4242"},"items":[');
  let written = 0;
  const pump = () => {
    // 64 KB writes; wait for 'drain' whenever the socket is full, as a real API server must.
    while (written < LIST_BYTES) {
      const chunk = Buffer.concat(
        Array.from({ length: Math.ceil(65_536 / LIST_ITEM.length) }, () => LIST_ITEM),
      );
      written += chunk.length;
      if (!res.write(chunk)) {
        res.once('drain', pump);
        return;
      }
    }
    res.end(`${podJson('bench', 'last')}]}`);
  };
  pump();
}

function sendWatch(res: ServerResponse): void {
  res.writeHead(200, { ...JSON_HEADERS, 'transfer-encoding': 'chunked' });
  res.flushHeaders();
  let sent = 0;
  const tick = setInterval(() => {
    for (let i = 0; i < WATCH_BURST && sent < WATCH_EVENTS; i += 1, sent += 1) {
      const object = podJson('watched', `p-${sent}`, { 'bench/sent-ns': nowNs() });
      res.write(`{"type":"MODIFIED","object":${object}}\n`);
    }
    if (sent >= WATCH_EVENTS) {
      clearInterval(tick);
      res.end();
    }
  }, WATCH_TICK_MS);
  res.on('close', () => clearInterval(tick));
}

const server = createServer(
  {
    cert: readFileSync(process.env.BENCH_TLS_CERT ?? ''),
    key: readFileSync(process.env.BENCH_TLS_KEY ?? ''),
  },
  (req, res) => {
    const url = new URL(req.url ?? '/', 'https://upstream');
    if (req.method === 'DELETE' && url.searchParams.has('dryRun')) {
      // The gateway's preview of a held delete: what would go, with nothing deleted.
      req.resume();
      res.writeHead(200, { ...JSON_HEADERS, 'content-length': POD.length });
      res.end(POD);
      return;
    }
    if (req.method === 'DELETE') {
      const arrivedNs = nowNs();
      process.send?.({ type: 'arrival', path: url.pathname, arrivedNs });
      req.resume();
      res.writeHead(200, JSON_HEADERS);
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Success', details: {} }));
      return;
    }
    if (url.pathname === '/api/v1/pods') return sendList(res);
    if (url.searchParams.get('watch') === '1' || url.searchParams.get('watch') === 'true')
      return sendWatch(res);
    res.writeHead(200, { ...JSON_HEADERS, 'content-length': POD.length });
    res.end(POD);
  },
);
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.send?.({ type: 'ready', port: (server.address() as AddressInfo).port });
});
process.on('disconnect', () => process.exit(0));
