import { namespace, pod } from '@gatehouse/testkit/kube-upstream';
import { KUBECTL_1_20, runKubectl, startKubectl, waitUntil } from '@gatehouse/testkit/processes';
import { describe, expect, it } from 'vitest';
import { forwardedCounts, namespaceDeletes, podWebServer, replay, stackPerTest } from '../testing/clients.js';

const start = stackPerTest();
const web = podWebServer();

/** kubectl 1.20 knows only SPDY; kubectl 1.32 uses it with WebSockets switched off (or as its fallback). */
const SPDY_CLIENTS = [
  ['kubectl 1.20', { binary: KUBECTL_1_20 }],
  ['kubectl 1.32 over SPDY', { env: { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false' } }],
] as const;

describe.each(SPDY_CLIENTS)('%s through the gateway', (_, client) => {
  it('lists, watches (each event as it happens) and follows logs straight through', async () => {
    const e = await start();
    const listed = await runKubectl(['get', 'pods', '-n', 'prod-payments', '-o', 'name'], {
      kubeconfig: e.kubeconfig,
      ...client,
    });
    expect(listed).toMatchObject({ code: 0, stdout: 'pod/api-0\n' });

    const watching = startKubectl(['get', 'pods', '-n', 'prod-payments', '-w', '-o', 'name'], {
      kubeconfig: e.kubeconfig,
      ...client,
    });
    await waitUntil('the first watch event', () => watching.stdout() === 'pod/api-0\n');
    e.upstream.store.put(pod({ name: 'api-1', namespace: 'prod-payments' }));
    await waitUntil('the live watch event', () => watching.stdout() === 'pod/api-0\npod/api-1\n');
    e.upstream.endWatches();
    expect(await watching.result()).toMatchObject({ code: 0 });

    e.upstream.logs.write('prod-payments', 'api-0', 'started\n');
    const following = startKubectl(['logs', '-f', 'api-0', '-n', 'prod-payments'], {
      kubeconfig: e.kubeconfig,
      ...client,
    });
    await waitUntil('the log so far', () => following.stdout() === 'started\n');
    e.upstream.logs.write('prod-payments', 'api-0', 'order 42 paid\n');
    await waitUntil('the followed line', () => following.stdout() === 'started\norder 42 paid\n');
    e.upstream.logs.end('prod-payments', 'api-0');
    expect(await following.result()).toMatchObject({ code: 0 });
  });

  it('holds a delete until approved and sends it once; a denied one shows who and why, and sends nothing', async () => {
    const e = await start();
    const approved = startKubectl(['delete', 'namespace', 'payments-staging', '--wait=false'], {
      kubeconfig: e.kubeconfig,
      ...client,
    });
    await e.slackbot.vote((await e.onePendingApproval()).id, { userId: 'U0BOB', decision: 'approve' });
    expect(await approved.result()).toMatchObject({ code: 0 });
    expect(namespaceDeletes(e, 'payments-staging')).toHaveLength(1);

    e.upstream.store.put(namespace('payments-staging'));
    const denied = startKubectl(['delete', 'namespace', 'payments-staging', '--wait=false'], {
      kubeconfig: e.kubeconfig,
      ...client,
    });
    const id = await waitUntil('a second approval', async () => (await e.pending())[0]?.id);
    await e.slackbot.vote(id, { userId: 'U0BOB', decision: 'deny', reason: 'not during the freeze' });
    const result = await denied.result();
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/denied by U0BOB.*not during the freeze/);
    expect(namespaceDeletes(e, 'payments-staging')).toHaveLength(1);
  });

  it('prints that the approval expired, for a delete and an exec, and sends nothing', async () => {
    // The hold lasts as long as the request may wait, so each request expires while held.
    const e = await start({ requestTtl: '1s', holdTimeout: '1s', grantTtl: '1s' });
    const seen: string[] = [];
    for (const args of [
      ['delete', 'namespace', 'payments-staging', '--wait=false'],
      ['exec', 'api-0', '-n', 'prod-payments', '--', 'hostname'],
    ]) {
      const kubectl = startKubectl(args, { kubeconfig: e.kubeconfig, ...client });
      const id = await waitUntil(
        'its approval',
        async () => (await e.pending()).find((approval) => !seen.includes(approval.id))?.id,
      );
      seen.push(id);
      const result = await kubectl.result();
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(new RegExp(`approval ${id} .* expired at`));
    }
    expect(namespaceDeletes(e, 'payments-staging')).toEqual([]);
    expect(e.upstream.execSessions).toEqual([]);
  });

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
    web.expose(e);
    const forwarding = startKubectl(['port-forward', '-n', 'prod-payments', 'pod/api-0', ':8080'], {
      kubeconfig: e.kubeconfig,
      ...('binary' in client ? client : { env: { KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' } }),
    });
    const approval = await e.onePendingApproval();
    try {
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
    // The session ends with kubectl; then the audit has what it carried.
    const [session] = e.upstream.portForwardSessions;
    expect(await forwardedCounts(e, approval.id)).toMatchObject({
      connections: 1,
      bytesIn: session!.sent.length,
      bytesOut: session!.received.length,
    });
  });
});
