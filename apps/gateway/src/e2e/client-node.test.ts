import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { namespace, pod } from '@gatehouse/testkit/kube-upstream';
import { waitUntil } from '@gatehouse/testkit/processes';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { type E2e, startE2e } from '../testing/e2e.js';

let env: E2e | undefined;
afterEach(async () => {
  await env?.stop();
  env = undefined;
});

async function start() {
  env = await startE2e();
  env.upstream.store.put(namespace('prod-payments'));
  env.upstream.store.put(namespace('payments-staging'));
  env.upstream.store.put(pod({ name: 'api-0', namespace: 'prod-payments' }));
  const kc = new KubeConfig();
  kc.loadFromFile(env.kubeconfig);
  return { e: env, kc, core: kc.makeApiClient(CoreV1Api) };
}

const EXEC_NODE = fileURLToPath(new URL('./clients/exec-node.mjs', import.meta.url));

/** Runs a command with client-node's Exec (WebSocket, v5/v4 channels) in an agent process. */
async function exec(
  e: E2e,
  command: string[],
): Promise<{ stdout: string; status?: { status?: string }; error?: string }> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [EXEC_NODE, e.kubeconfig, 'prod-payments', 'api-0', ...command],
    { timeout: 60_000 },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1)!);
}

describe('@kubernetes/client-node through the gateway', () => {
  it('lists straight through', async () => {
    const { core } = await start();
    const pods = await core.listNamespacedPod({ namespace: 'prod-payments' });
    expect(pods.items.map((p) => p.metadata?.name)).toEqual(['api-0']);
  });

  it('holds a delete until approved, then deletes once', async () => {
    const { e, core } = await start();
    const deleted = core.deleteNamespace({ name: 'payments-staging' });
    const approval = await e.onePendingApproval();
    await e.slackbot.vote(approval.id, { userId: 'U0BOB', decision: 'approve' });
    await deleted;
    const deletes = e.upstream
      .received({ method: 'DELETE', path: '/api/v1/namespaces/payments-staging' })
      .filter((request) => !request.query.has('dryRun'));
    expect(deletes).toHaveLength(1);
  });

  it('gets a denied delete as a 403 ApiException whose body says who denied it and why', async () => {
    const { e, core } = await start();
    const deleted = core.deleteNamespace({ name: 'payments-staging' }).then(
      () => undefined,
      (error: { code?: number; body?: string }) => error,
    );
    const approval = await e.onePendingApproval();
    await e.slackbot.vote(approval.id, {
      userId: 'U0BOB',
      decision: 'deny',
      reason: 'not during the freeze',
    });
    const error = await deleted;
    expect(error?.code).toBe(403);
    expect(JSON.parse(String(error?.body)).message).toContain('not during the freeze');
  });

  it('holds an exec until approved, runs it, and records what was printed', async () => {
    const { e } = await start();
    const ran = exec(e, ['echo', 'from client-node']);
    const approval = await e.onePendingApproval();
    await e.slackbot.vote(approval.id, { userId: 'U0BOB', decision: 'approve' });
    const result = await ran;
    expect(result.status?.status).toBe('Success');
    expect(result.stdout).toBe('from client-node\n');
    await waitUntil('the session recording', async () =>
      (await e.auditTypes(approval.id)).includes('session.recorded'),
    );
    const cast = await readFile(join(e.dir, 'recordings', `${approval.id}-1.cast`), 'utf8');
    expect(cast).toContain(JSON.stringify('from client-node\n'));
  });

  it('gets a denied exec as "Unexpected server response: 403": ws shows neither body nor reason phrase', async () => {
    const { e } = await start();
    const ran = exec(e, ['hostname']);
    const approval = await e.onePendingApproval();
    await e.slackbot.vote(approval.id, {
      userId: 'U0BOB',
      decision: 'deny',
      reason: 'not during the freeze',
    });
    const result = await ran;
    // The README's client table says so; the reason is in Slack and the audit record.
    expect(result.error).toContain('Unexpected server response: 403');
    expect(e.upstream.execSessions).toEqual([]);
  });
});
