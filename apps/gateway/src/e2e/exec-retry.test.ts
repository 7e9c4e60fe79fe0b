import { writeFile } from 'node:fs/promises';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { pod } from '@gatehouse/testkit/kube-upstream';
import { startKubectl, waitUntil } from '@gatehouse/testkit/processes';
import { Agent, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { renderKubeconfig } from '../cli/kubeconfig.js';
import { AGENT, type E2e, startE2e } from '../testing/e2e.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A layer-4 round-robin balancer: each new TCP connection goes to the next replica in turn. */
async function roundRobin(targets: readonly string[]) {
  let next = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const target = new URL(targets[next++ % targets.length]!);
    const backend = connect(Number(target.port), target.hostname);
    for (const socket of [client, backend]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        sockets.delete(socket);
        client.destroy();
        backend.destroy();
      });
    }
    client.pipe(backend).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Gated requests one replica has seen (`gatehouse_gateway_requests_total{decision="require"}`). */
async function gatedSeenBy(e: E2e, replica: number): Promise<number> {
  const dispatcher = new Agent({ connect: { ca: e.caPem } });
  try {
    const response = await request(`${e.gateways[replica]!.url}/metrics`, { dispatcher });
    const text = await response.body.text();
    const line = text
      .split('\n')
      .find((l) => l.startsWith('gatehouse_gateway_requests_total{') && l.includes('decision="require"'));
    return line ? Number(line.split(' ').pop()) : 0;
  } finally {
    await dispatcher.close();
  }
}

describe('kubectl exec across two gateway replicas', () => {
  it('gives the SPDY retry on one replica the denial its WebSocket attempt got on the other; one approval', async () => {
    const e = await startE2e({ replicas: 2 });
    cleanups.push(() => e.stop());
    e.upstream.store.put(pod({ name: 'api-0', namespace: 'prod-payments' }));
    const balancer = await roundRobin(e.gateways.map((gateway) => gateway.url));
    cleanups.push(() => balancer.close());
    const kubeconfig = join(e.dir, 'balanced.kubeconfig');
    await writeFile(
      kubeconfig,
      renderKubeconfig({
        agent: AGENT.id,
        cluster: 'kind',
        server: balancer.url,
        token: AGENT.token,
        caPem: e.caPem,
      }),
    );

    const kubectl = startKubectl(['exec', 'api-0', '-n', 'prod-payments', '--', 'hostname'], { kubeconfig });
    const [approval] = await waitUntil(
      'the held WebSocket exec',
      async () => {
        const pending = await e.pending();
        return pending.length === 1 && pending;
      },
      20_000,
    );
    await e.slackbot.vote(approval!.id, {
      userId: 'U0BOB',
      userName: 'bob',
      decision: 'deny',
      reason: 'use the runbook',
    });

    const result = await kubectl.result(30_000);
    expect(result.code).not.toBe(0);
    // kubectl prints the answer to its SPDY retry: the same approval's denial.
    expect(result.stderr).toContain(`approval ${approval!.id}`);
    expect(result.stderr).toContain('denied by bob (U0BOB): use the runbook');
    // Consecutive connections went to different replicas, and each judged one gated exec.
    expect([await gatedSeenBy(e, 0), await gatedSeenBy(e, 1)]).toEqual([1, 1]);
    // No second approval (a second Slack message) waits: the retry opened none.
    expect(await e.pending()).toEqual([]);
    expect(e.upstream.received({ path: '/api/v1/namespaces/prod-payments/pods/api-0/exec' })).toEqual([]);
  });
});
