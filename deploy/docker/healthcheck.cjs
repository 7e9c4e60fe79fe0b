// Container health check: exit 0 when HEALTHCHECK_URL answers 200, else 1.
// CommonJS and dependency-free so it runs with plain `node` in any Gatehouse image.
// TLS verification is off on purpose: the gateway's certificate is often self-signed,
// and this probe only asks the process on its own loopback whether it is up.
const url = new URL(process.env.HEALTHCHECK_URL ?? 'http://127.0.0.1:3000/healthz');
const client = require(url.protocol === 'https:' ? 'node:https' : 'node:http');
const request = client.get(url, { rejectUnauthorized: false, timeout: 4000 }, (response) => {
  response.resume();
  process.exit(response.statusCode === 200 ? 0 : 1);
});
request.on('timeout', () => request.destroy(new Error('timed out')));
request.on('error', (error) => {
  console.error(`health check ${url.href} failed: ${error.message}`);
  process.exit(1);
});
