import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { namespace, pod } from '@gatehouse/testkit/kube-upstream';
import { waitUntil } from '@gatehouse/testkit/processes';
import { afterEach, describe, expect, it } from 'vitest';
import { type E2e, startE2e } from '../testing/e2e.js';

/** Debian's python3-kubernetes is installed for the system Python (scripts/install-test-clients.sh). */
const PYTHON = '/usr/bin/python3';
const AGENT_PY = fileURLToPath(new URL('./clients/agent.py', import.meta.url));

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
  return env;
}

interface PythonAnswer {
  ok: boolean;
  output?: unknown;
  error?: string;
  body?: string | null;
}

/** Runs one operation of the Python agent; resolves with its JSON answer. */
function python(e: E2e, ...args: string[]): Promise<PythonAnswer> {
  return promisify(execFile)(PYTHON, [AGENT_PY, e.kubeconfig, ...args], { timeout: 60_000 }).then(
    ({ stdout }) => JSON.parse(stdout.trim().split('\n').at(-1)!) as PythonAnswer,
  );
}

describe('the Kubernetes Python client through the gateway', () => {
  it('lists straight through', async () => {
    const e = await start();
    expect(await python(e, 'list', 'prod-payments')).toEqual({ ok: true, output: ['api-0'] });
  });

  it('holds an exec until approved, runs it and records what was printed', async () => {
    const e = await start();
    const answer = python(e, 'exec', 'prod-payments', 'api-0', 'echo', 'from python');
    const approval = await e.onePendingApproval();
    await e.slackbot.vote(approval.id, { userId: 'U0BOB', decision: 'approve' });
    expect(await answer).toEqual({ ok: true, output: 'from python\n' });
    await waitUntil('the session recording', async () =>
      (await e.auditTypes(approval.id)).includes('session.recorded'),
    );
    const cast = await readFile(join(e.dir, 'recordings', `${approval.id}-1.cast`), 'utf8');
    expect(cast).toContain(JSON.stringify('from python\n'));
  });

  it("shows a denied exec's reason in the handshake error, though its WebSocket library never reads the body", async () => {
    const e = await start();
    const answer = python(e, 'exec', 'prod-payments', 'api-0', 'hostname');
    const approval = await e.onePendingApproval();
    await e.slackbot.vote(approval.id, {
      userId: 'U0BOB',
      decision: 'deny',
      reason: 'not during the freeze',
    });
    const result = await answer;
    expect(result.ok).toBe(false);
    expect(result.error).toMatch(/^0 Handshake status 403 Forbidden: .*not during the freeze/);
    expect(e.upstream.execSessions).toEqual([]);
  });

  it('holds a delete until approved, then deletes once', async () => {
    const e = await start();
    const answer = python(e, 'delete-namespace', 'payments-staging');
    const approval = await e.onePendingApproval();
    await e.slackbot.vote(approval.id, { userId: 'U0BOB', decision: 'approve' });
    expect(await answer).toEqual({ ok: true, output: 'deleted' });
    const deletes = e.upstream
      .received({ method: 'DELETE', path: '/api/v1/namespaces/payments-staging' })
      .filter((request) => !request.query.has('dryRun'));
    expect(deletes).toHaveLength(1);
  });
});
