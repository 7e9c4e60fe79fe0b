import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { namespace, pod } from '@gatehouse/testkit/kube-upstream';
import { KUBECTL_1_20, startKubectl, waitUntil } from '@gatehouse/testkit/processes';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type E2e, startE2e } from '../testing/e2e.js';

let env: E2e | undefined;
afterEach(async () => {
  await env?.stop();
  env = undefined;
});

async function start() {
  env = await startE2e();
  env.upstream.store.put(namespace('prod-payments'));
  env.upstream.store.put(pod({ name: 'api-0', namespace: 'prod-payments' }));
  return env;
}

/** What an approved session's asciicast holds: stdin typed and output printed, each joined. */
async function replay(e: E2e, approvalId: string): Promise<{ input: string; output: string }> {
  await waitUntil('the session recording', async () =>
    (await e.auditTypes(approvalId)).includes('session.recorded'),
  );
  const lines = (await readFile(join(e.dir, 'recordings', `${approvalId}-1.cast`), 'utf8'))
    .trim()
    .split('\n');
  const events = lines.slice(1).map((line) => JSON.parse(line) as [number, string, string]);
  const joined = (code: string) =>
    events
      .filter(([, c]) => c === code)
      .map(([, , text]) => text)
      .join('');
  return { input: joined('i'), output: joined('o') };
}

/** kubectl 1.20 knows only SPDY; kubectl 1.32 uses it with WebSockets switched off (or as its fallback). */
const SPDY_CLIENTS = [
  ['kubectl 1.20', { binary: KUBECTL_1_20 }],
  ['kubectl 1.32 over SPDY', { env: { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false' } }],
] as const;

describe.each(SPDY_CLIENTS)('%s through the gateway', (_, client) => {
  let web: Server;
  beforeAll(async () => {
    web = createServer((req, res) => res.end(`pod answered ${req.url}\n`));
    web.listen(0, '127.0.0.1');
    await once(web, 'listening');
  });
  afterAll(() => web.close());

  it('holds an exec until approved, runs it, and records what was typed and printed', async () => {
    const e = await start();
    const kubectl = startKubectl(['exec', '-i', 'api-0', '-n', 'prod-payments', '--', 'cat'], {
      kubeconfig: e.kubeconfig,
      stdin: 'typed over spdy\n',
      ...client,
    });
    const approval = await e.onePendingApproval();
    expect(e.upstream.received({ path: /\/exec$/ })).toEqual([]);
    await e.slackbot.vote(approval.id, { userId: 'U0BOB', decision: 'approve' });
    const result = await kubectl.result(30_000);
    expect(result).toMatchObject({ code: 0, stdout: 'typed over spdy\n' });
    expect(e.upstream.execSessions.map((s) => s.transport)).toEqual(['spdy']);

    expect(await replay(e, approval.id)).toEqual({ input: 'typed over spdy\n', output: 'typed over spdy\n' });
    const recorded = (await e.auditEvents()).find((event) => event.type === 'session.recorded');
    expect(recorded).toMatchObject({ bytesIn: 16, bytesOut: 16 });
    expect(recorded?.notRecorded).toBeUndefined();
  });

  it('shows the agent why an exec was denied, and sends nothing', async () => {
    const e = await start();
    const kubectl = startKubectl(['exec', 'api-0', '-n', 'prod-payments', '--', 'hostname'], {
      kubeconfig: e.kubeconfig,
      ...client,
    });
    const approval = await e.onePendingApproval();
    await e.slackbot.vote(approval.id, {
      userId: 'U0BOB',
      decision: 'deny',
      reason: 'not during the freeze',
    });
    const result = await kubectl.result(30_000);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('not during the freeze');
    expect(e.upstream.execSessions).toEqual([]);
  });

  it('holds a port-forward until approved, then forwards to the pod', async () => {
    const e = await start();
    e.upstream.podPorts.expose('prod-payments', 'api-0', 8080, {
      host: '127.0.0.1',
      port: (web.address() as AddressInfo).port,
    });
    const forwarding = startKubectl(['port-forward', '-n', 'prod-payments', 'pod/api-0', ':8080'], {
      kubeconfig: e.kubeconfig,
      ...('binary' in client ? client : { env: { KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' } }),
    });
    try {
      const approval = await e.onePendingApproval();
      await e.slackbot.vote(approval.id, { userId: 'U0BOB', decision: 'approve' });
      const port = await waitUntil('kubectl to listen', () =>
        Number(/127\.0\.0\.1:(\d+) -> 8080/.exec(forwarding.stdout())?.[1]),
      );
      const answer = await fetch(`http://127.0.0.1:${port}/orders`);
      expect(await answer.text()).toBe('pod answered /orders\n');
      expect(e.upstream.portForwardSessions).toMatchObject([{ pod: 'api-0', port: 8080, error: undefined }]);
    } finally {
      await forwarding.kill();
    }
  });
});
