import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type WrittenKubeconfig, writeKubeconfig } from '../ca/index.js';
import { KUBECTL_1_20, runKubectl, startKubectl, waitUntil } from '../processes/index.js';
import { type KubeUpstream, pod, startKubeUpstream } from './index.js';

/** kubectl 1.32 speaks WebSocket first; this switch makes it use SPDY/3.1 as kubectl before 1.29 does. */
const SPDY_EXEC = { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false' };
const SPDY_PORT_FORWARD = { KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' };

describe('kube-upstream serves exec and port-forward over SPDY/3.1 to the real kubectl', () => {
  let upstream: KubeUpstream;
  let kubeconfig: WrittenKubeconfig;
  let web: Server;

  beforeAll(async () => {
    upstream = await startKubeUpstream({
      commands: {
        fail: ({ stderr }) => {
          stderr('boom\n');
          return 3;
        },
      },
    });
    kubeconfig = writeKubeconfig({
      server: upstream.url,
      caPem: upstream.caPem!,
      credentials: { token: 't' },
    });
    web = createServer((req, res) => res.end(`pod answered ${req.url}\n`));
    web.listen(0, '127.0.0.1');
    await once(web, 'listening');
  });
  afterAll(async () => {
    await upstream.close();
    web.close();
    kubeconfig.cleanup();
  });
  beforeEach(() => {
    upstream.reset();
    upstream.store.put(pod({ name: 'web-1' }));
  });

  const kubectl = (args: string[], env: Record<string, string>, stdin?: string) =>
    runKubectl(args, { kubeconfig: kubeconfig.path, env, ...(stdin === undefined ? {} : { stdin }) });

  it('runs a command: stdout arrives, stdin travels, and the exit code comes from the v4 error stream', async () => {
    const echoed = await kubectl(['exec', 'web-1', '--', 'echo', 'over', 'spdy'], SPDY_EXEC);
    expect(echoed).toMatchObject({ code: 0, stdout: 'over spdy\n' });
    const catted = await kubectl(['exec', '-i', 'web-1', '--', 'cat'], SPDY_EXEC, 'typed in\n');
    expect(catted).toMatchObject({ code: 0, stdout: 'typed in\n' });
    const failed = await kubectl(['exec', 'web-1', '--', 'fail'], SPDY_EXEC);
    expect(failed.code).toBe(3);
    expect(failed.stderr).toContain('boom');

    expect(upstream.execSessions.map((s) => [s.transport, s.protocol, s.command, s.exitCode])).toEqual([
      ['spdy', 'v4.channel.k8s.io', ['echo', 'over', 'spdy'], 0],
      ['spdy', 'v4.channel.k8s.io', ['cat'], 0],
      ['spdy', 'v4.channel.k8s.io', ['fail'], 3],
    ]);
    expect(upstream.execSessions[1]?.stdin).toBe('typed in\n');
    const upgrade = upstream.received({ path: '/api/v1/namespaces/default/pods/web-1/exec' })[0];
    expect(upgrade?.headers.upgrade).toBe('SPDY/3.1');
    expect(upgrade?.status).toBe(101);
  });

  it('serves kubectl 1.20, which execs over SPDY only', async () => {
    const old = (args: string[], stdin?: string) =>
      runKubectl(args, {
        kubeconfig: kubeconfig.path,
        binary: KUBECTL_1_20,
        ...(stdin === undefined ? {} : { stdin }),
      });
    expect(await old(['exec', 'web-1', '--', 'echo', 'from', '1.20'])).toMatchObject({
      code: 0,
      stdout: 'from 1.20\n',
    });
    expect(await old(['exec', '-i', 'web-1', '--', 'cat'], 'old stdin\n')).toMatchObject({
      stdout: 'old stdin\n',
    });
    const [echo, cat] = upstream.execSessions;
    expect(echo).toMatchObject({ transport: 'spdy', protocol: 'v4.channel.k8s.io', exitCode: 0 });
    expect(cat).toMatchObject({ transport: 'spdy', stdin: 'old stdin\n', exitCode: 0 });
    expect(
      upstream.received({ path: '/api/v1/namespaces/default/pods/web-1/exec' })[0]?.headers['user-agent'],
    ).toMatch(/^kubectl\/v1\.20\./);
  });

  it('refuses a client whose stream protocols it does not speak, naming both lists, as the kubelet does', async () => {
    const { request } = await import('node:https');
    const answer = await new Promise<{ status: number; body: string; accepted: unknown }>(
      (resolve, reject) => {
        const req = request(
          `${upstream.url}/api/v1/namespaces/default/pods/web-1/exec?command=ls&stdout=true`,
          {
            ca: upstream.caPem,
            headers: {
              Connection: 'Upgrade',
              Upgrade: 'SPDY/3.1',
              'X-Stream-Protocol-Version': 'v9.channel.k8s.io',
            },
          },
        );
        req.on('response', (res) => {
          let body = '';
          res.on('data', (chunk) => (body += chunk));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              body,
              accepted: res.headers['x-accepted-stream-protocol-versions'],
            }),
          );
        });
        req.on('error', reject);
        req.end();
      },
    );
    expect(answer.status).toBe(403);
    expect(answer.body).toContain('unable to negotiate protocol: client supports [v9.channel.k8s.io]');
    expect(answer.accepted).toBe('v4.channel.k8s.io');
  });

  it.each([
    ['kubectl 1.32 (SPDY tunnelled in WebSocket, its default)', undefined, {}],
    ['kubectl 1.32 (SPDY by choice)', undefined, SPDY_PORT_FORWARD],
    ['kubectl 1.20', KUBECTL_1_20, {}],
  ])(
    '%s forwards a local port to the pod port the test exposed; a closed port is reported on the error stream',
    async (name, binary, env) => {
      upstream.podPorts.expose('default', 'web-1', 8080, {
        host: '127.0.0.1',
        port: (web.address() as AddressInfo).port,
      });
      const forwarding = startKubectl(['port-forward', 'pod/web-1', ':8080', ':9090'], {
        kubeconfig: kubeconfig.path,
        env,
        ...(binary ? { binary } : {}),
      });
      try {
        await waitUntil(
          'kubectl to forward both ports',
          () => /Forwarding from 127\.0\.0\.1:\d+ -> 9090/.test(forwarding.stdout()),
          20_000,
        );
        const local = (target: number) =>
          Number(new RegExp(`127\\.0\\.0\\.1:(\\d+) -> ${target}`).exec(forwarding.stdout())?.[1]);
        const answer = await fetch(`http://127.0.0.1:${local(8080)}/hello`);
        expect(await answer.text()).toBe('pod answered /hello\n');
        await fetch(`http://127.0.0.1:${local(9090)}/`).catch(() => undefined);
        await waitUntil('two forwarded connections', () => upstream.portForwardSessions.length === 2, 10_000);
      } finally {
        await forwarding.kill();
      }
      const [served, refused] = upstream.portForwardSessions;
      expect(served).toMatchObject({ pod: 'web-1', port: 8080, error: undefined });
      expect(served?.transport).toBe(name.includes('tunnelled') ? 'spdy-over-websocket' : 'spdy');
      expect(served?.sent).toContain('GET /hello HTTP/1.1');
      expect(served?.received).toContain('pod answered /hello');
      expect(refused?.port).toBe(9090);
      expect(refused?.error).toMatch(/^error forwarding port 9090 to pod web-1, uid .*connection refused$/);
      expect(forwarding.stderr()).toContain('error forwarding port 9090 to pod web-1');
    },
  );
});
