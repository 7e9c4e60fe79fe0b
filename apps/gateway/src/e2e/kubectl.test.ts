import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { namespace, pod } from '@gatehouse/testkit/kube-upstream';
import { runKubectl, startKubectl, waitUntil } from '@gatehouse/testkit/processes';
import { describe, expect, it } from 'vitest';
import {
  forwardedCounts,
  namespaceDeletes,
  podWebServer,
  replay,
  seedClientCluster,
  stackPerTest,
} from '../testing/clients.js';
import { type E2e, UPSTREAM_TOKEN } from '../testing/e2e.js';

const start = stackPerTest((e) => {
  seedClientCluster(e);
  e.upstream.store.put(pod({ name: 'web-0', namespace: 'default' }));
});
const web = podWebServer();

/** Deletes that change the cluster: the blast-radius preview's dry run (`dryRun=All`) is not one. */
const deletes = (e: E2e) => namespaceDeletes(e, 'payments-staging');

describe('kubectl through the gateway', () => {
  it('passes `kubectl get` straight through with the cluster credential', async () => {
    const e = await start();
    const result = await runKubectl(['get', 'pods', '-n', 'default'], { kubeconfig: e.kubeconfig });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('web-0');
    const calls = e.upstream.received({ path: '/api/v1/namespaces/default/pods' });
    expect(calls).toHaveLength(1);
    expect(calls[0]?.bearerToken).toBe(UPSTREAM_TOKEN);
    expect(await e.pending()).toEqual([]);
  });

  it('refuses a bad token with a 401 Status and forwards nothing', async () => {
    const e = await start();
    const result = await runKubectl(['get', 'pods'], { kubeconfig: e.badKubeconfig });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/Unauthorized|must be logged in/);
    expect(e.upstream.requests).toEqual([]);
  });

  it('never forwards impersonation asked for by the client: the cluster sees only the agent', async () => {
    const e = await start();
    const result = await runKubectl(['get', 'pods', '--as', 'system:admin', '--as-group', 'system:masters'], {
      kubeconfig: e.kubeconfig,
    });
    expect(result.code).toBe(0);
    expect(e.upstream.requests.length).toBeGreaterThan(0);
    for (const request of e.upstream.requests) {
      const impersonation = Object.entries(request.headersDistinct).filter(([name]) =>
        name.startsWith('impersonate-'),
      );
      expect(Object.fromEntries(impersonation)).toEqual({
        'impersonate-user': ['gatehouse:agent:agent-oncall'],
        'impersonate-group': ['gatehouse:agents'],
      });
      expect(request.bearerToken).toBe(UPSTREAM_TOKEN);
    }
  });

  it('holds `kubectl delete namespace` until approved, then the upstream receives exactly one DELETE', async () => {
    const e = await start();
    const kubectl = startKubectl(['delete', 'namespace', 'payments-staging'], { kubeconfig: e.kubeconfig });
    const approval = await e.onePendingApproval();
    expect(approval).toMatchObject({
      agent: 'agent-oncall',
      cluster: 'kind',
      rule: 'namespace-delete',
      group: 'sre',
    });
    expect(approval.command).toContain('delete');
    expect(kubectl.running()).toBe(true);
    expect(deletes(e)).toEqual([]);

    const vote = await e.slackbot.vote(approval.id, { userId: 'U0BOB', decision: 'approve' });
    expect(vote.outcome).toBe('approved');
    const result = await kubectl.result(30_000);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('namespace "payments-staging" deleted');
    expect(deletes(e)).toHaveLength(1);
    await waitUntil('completion', async () => (await e.slackbot.get(approval.id))?.state === 'completed');
    expect((await e.slackbot.get(approval.id))?.dispatch).toMatchObject({ via: 'hold', status: 200 });
    await waitUntil('audit events', async () => {
      const types = await e.auditTypes(approval.id);
      return types.includes('upstream.response') && types.includes('approval.completed');
    });
    // The request itself is part of the approval's story (gatehouse-audit show); the transitions are
    // recorded by the approvals store as they happen, so the approval comes before its dispatch.
    const types = await e.auditTypes(approval.id);
    expect([...types].sort()).toEqual(
      [
        'approval.requested',
        'request.received',
        'vote',
        'approval.approved',
        'dispatch',
        'upstream.response',
        'approval.completed',
      ].sort(),
    );
    expect(types.indexOf('approval.requested')).toBeLessThan(types.indexOf('approval.approved'));
    expect(types.indexOf('approval.approved')).toBeLessThan(types.indexOf('dispatch'));
    expect(types.indexOf('dispatch')).toBeLessThan(types.indexOf('approval.completed'));
  });

  it('prints the denial (who and why) and sends nothing', async () => {
    const e = await start();
    const kubectl = startKubectl(['delete', 'namespace', 'payments-staging'], { kubeconfig: e.kubeconfig });
    const approval = await e.onePendingApproval();
    await e.slackbot.vote(approval.id, {
      userId: 'U0BOB',
      userName: 'bob',
      decision: 'deny',
      reason: 'payments freeze',
    });
    const result = await kubectl.result(30_000);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('denied by bob (U0BOB): payments freeze');
    expect(result.stderr).toContain(approval.id);
    expect(deletes(e)).toEqual([]);
  });

  it('prints that the approval expired and sends nothing', async () => {
    // The hold lasts as long as the request may wait, so the request expires while held.
    const e = await start({ requestTtl: '1s', holdTimeout: '1s', grantTtl: '1s' });
    const kubectl = startKubectl(['delete', 'namespace', 'payments-staging'], { kubeconfig: e.kubeconfig });
    const approval = await e.onePendingApproval();
    const result = await kubectl.result(30_000);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(new RegExp(`approval ${approval.id} .* expired at`));
    expect(deletes(e)).toEqual([]);
    // Too late to approve now.
    await waitUntil('expiry', () =>
      e.slackbot.expire(approval.id).then(
        () => true,
        (error: { code?: string }) => error.code === 'APPROVALS_INVALID_TRANSITION',
      ),
    );
    expect((await e.slackbot.vote(approval.id, { userId: 'U0BOB', decision: 'approve' })).outcome).toBe(
      'expired',
    );
    expect(deletes(e)).toEqual([]);
  });

  it('answers a hold timeout with what to do; the retry after approval passes once and only once', async () => {
    const e = await start({ holdTimeout: '1s' });
    const first = await runKubectl(['delete', 'namespace', 'payments-staging'], { kubeconfig: e.kubeconfig });
    expect(first.stderr).toContain('is waiting for approval');
    expect(first.code).not.toBe(0);
    const [approval] = await e.pending();
    expect(first.stderr).toContain(`approval ${approval!.id}`);
    expect(first.stderr).toContain('group sre');
    expect(first.stderr).toContain('re-run the same command');
    expect(deletes(e)).toEqual([]);

    await e.slackbot.vote(approval!.id, { userId: 'U0CAROL', decision: 'approve' });
    const retry = await runKubectl(['delete', 'namespace', 'payments-staging'], { kubeconfig: e.kubeconfig });
    expect(retry.stderr).toBe('');
    expect(retry.code).toBe(0);
    expect(deletes(e)).toHaveLength(1);
    expect((await e.slackbot.get(approval!.id))?.dispatch).toMatchObject({ via: 'grant' });

    // Spent: the same command asks again instead of passing a second time.
    e.upstream.store.put(namespace('payments-staging'));
    const third = await runKubectl(['delete', 'namespace', 'payments-staging'], { kubeconfig: e.kubeconfig });
    expect(third.code).not.toBe(0);
    expect(deletes(e)).toHaveLength(1);
    expect((await e.pending()).map((a) => a.id)).not.toContain(approval!.id);
  });

  it('delivers a decision to the replica holding the connection when two gateways share Redis', async () => {
    const e = await start({ replicas: 2 });
    const kubectl = startKubectl(['delete', 'namespace', 'payments-staging'], {
      kubeconfig: e.kubeconfigs[1]!,
    });
    const approval = await e.onePendingApproval();
    await e.slackbot.vote(approval.id, { userId: 'U0BOB', decision: 'approve' });
    const result = await kubectl.result(30_000);
    expect(result.code).toBe(0);
    expect(deletes(e)).toHaveLength(1);
    const done = await e.slackbot.get(approval.id);
    expect(done?.dispatch?.holder).toBe(e.gateways[1]!.replicaId);
  });
});

describe('kubectl exec through the gateway', () => {
  it('runs an allowed exec interactively, stdin included', async () => {
    const e = await start();
    const result = await runKubectl(['exec', '-i', 'web-0', '-n', 'default', '--', 'cat'], {
      kubeconfig: e.kubeconfig,
      stdin: 'hello through the gateway\n',
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('hello through the gateway\n');
    const exec = e.upstream.received({ path: '/api/v1/namespaces/default/pods/web-0/exec' });
    expect(exec[0]?.upgrade).toBe(true);
    expect(exec[0]?.bearerToken).toBe(UPSTREAM_TOKEN);
  });

  it('maps a held WebSocket exec and its SPDY retry to one approval', async () => {
    const e = await start({ holdTimeout: '1s' });
    const result = await runKubectl(['exec', 'api-0', '-n', 'prod-payments', '--', 'hostname'], {
      kubeconfig: e.kubeconfig,
    });
    expect(result.code).not.toBe(0);
    const pending = await e.pending();
    expect(pending).toHaveLength(1);
    expect(e.upstream.received({ path: '/api/v1/namespaces/prod-payments/pods/api-0/exec' })).toEqual([]);

    // Approved: the retry (WebSocket first) passes once via the grant.
    await e.slackbot.vote(pending[0]!.id, { userId: 'U0BOB', decision: 'approve' });
    const retry = await runKubectl(['exec', 'api-0', '-n', 'prod-payments', '--', 'hostname'], {
      kubeconfig: e.kubeconfig,
    });
    expect(retry.stderr).toBe('');
    expect(retry.stdout).toBe('api-0\n');
    expect(e.upstream.received({ path: '/api/v1/namespaces/prod-payments/pods/api-0/exec' })).toHaveLength(1);
  });

  it('runs a held exec once approved, on the connection kubectl opened', async () => {
    const e = await start();
    const kubectl = startKubectl(['exec', '-i', 'api-0', '-n', 'prod-payments', '--', 'cat'], {
      kubeconfig: e.kubeconfig,
      stdin: 'approved input\n',
    });
    const approval = await e.onePendingApproval();
    expect(approval.rule).toBe('prod-exec');
    expect(e.upstream.received({ path: '/api/v1/namespaces/prod-payments/pods/api-0/exec' })).toEqual([]);
    await e.slackbot.vote(approval.id, { userId: 'U0BOB', decision: 'approve' });
    const result = await kubectl.result(30_000);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('approved input\n');
    expect(e.upstream.received({ path: '/api/v1/namespaces/prod-payments/pods/api-0/exec' })).toHaveLength(1);
    await waitUntil('completion', async () => (await e.slackbot.get(approval.id))?.state === 'completed');
    expect((await e.slackbot.get(approval.id))?.dispatch).toMatchObject({ via: 'hold', status: 101 });

    // The approved session is recorded (asciicast v2) and replays what was typed and printed.
    const cast = await readFile(join(e.dir, 'recordings', `${approval.id}-1.cast`), 'utf8');
    expect(JSON.parse(cast.split('\n')[0]!)).toMatchObject({
      version: 2,
      title: `gatehouse approval ${approval.id}`,
    });
    expect(await replay(e, approval.id)).toEqual({ input: 'approved input\n', output: result.stdout });
  });

  it('holds a port-forward until approved, then forwards over SPDY tunnelled in WebSocket (kubectl 1.31+)', async () => {
    const e = await start();
    web.expose(e);
    const forwarding = startKubectl(['port-forward', '-n', 'prod-payments', 'pod/api-0', ':8080'], {
      kubeconfig: e.kubeconfig,
    });
    const approval = await e.onePendingApproval();
    try {
      expect(e.upstream.received({ path: /\/portforward$/ })).toEqual([]);
      await e.slackbot.vote(approval.id, { userId: 'U0BOB', decision: 'approve' });
      const port = await waitUntil('kubectl to listen', () =>
        Number(/127\.0\.0\.1:(\d+) -> 8080/.exec(forwarding.stdout())?.[1]),
      );
      const answer = await fetch(`http://127.0.0.1:${port}/orders`);
      expect(await answer.text()).toBe('pod answered /orders\n');
      expect(e.upstream.portForwardSessions).toMatchObject([
        { pod: 'api-0', port: 8080, transport: 'spdy-over-websocket', error: undefined },
      ]);
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

  it('gives the SPDY retry of a denied exec the same denial, not a second approval', async () => {
    const e = await start();
    const kubectl = startKubectl(['exec', 'api-0', '-n', 'prod-payments', '--', 'hostname'], {
      kubeconfig: e.kubeconfig,
    });
    const approval = await e.onePendingApproval();
    await e.slackbot.vote(approval.id, {
      userId: 'U0BOB',
      userName: 'bob',
      decision: 'deny',
      reason: 'use the runbook',
    });
    const result = await kubectl.result(30_000);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('denied by bob (U0BOB): use the runbook');
    expect(await e.pending()).toEqual([]);
    expect(e.upstream.received({ path: '/api/v1/namespaces/prod-payments/pods/api-0/exec' })).toEqual([]);
  });
});
