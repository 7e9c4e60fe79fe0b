import { namespace, pod, type RecordedRequest } from '@gatehouse/testkit/kube-upstream';
import { runKubectl, startKubectl, waitUntil } from '@gatehouse/testkit/processes';
import { afterEach, describe, expect, it } from 'vitest';
import { AGENT, DEPLOY_AGENT, type E2e, startE2e } from '../testing/e2e.js';

let env: E2e | undefined;
afterEach(async () => {
  await env?.stop();
  env = undefined;
});

async function start() {
  env = await startE2e();
  env.upstream.store.put(namespace('payments-staging'));
  env.upstream.store.put(pod({ name: 'web-0', namespace: 'default' }));
  env.upstream.store.put(pod({ name: 'api-0', namespace: 'prod-payments' }));
  return env;
}

const ONCALL = { user: `gatehouse:agent:${AGENT.id}`, groups: ['gatehouse:agents'] };
const DEPLOY = DEPLOY_AGENT.kubernetes;

/** The impersonation header lines a request reached the cluster with, each line apart. */
function identityOf(request: RecordedRequest | undefined) {
  const lines = request?.headersDistinct ?? {};
  return { user: lines['impersonate-user'], groups: lines['impersonate-group'] };
}

const asLines = (identity: { user: string; groups: readonly string[] }) => ({
  user: [identity.user],
  groups: [...identity.groups],
});

describe('kubectl acts on the cluster as its agent', () => {
  it('sends each agent as its own Kubernetes identity, and audits who it ran as', async () => {
    const e = await start();
    for (const kubeconfig of [e.kubeconfig, e.deployKubeconfig]) {
      const result = await runKubectl(['get', 'pods', '-n', 'default'], { kubeconfig });
      expect(result.stderr).toBe('');
      expect(result.stdout).toContain('web-0');
    }
    const lists = e.upstream.received({ path: '/api/v1/namespaces/default/pods' });
    expect(lists.map(identityOf)).toEqual([asLines(ONCALL), asLines(DEPLOY)]);
    // Discovery goes as the agent too: nothing reaches the cluster as the gateway itself.
    for (const request of e.upstream.requests) expect(identityOf(request).user).toBeDefined();

    // An allowed request is recorded once the cluster answered, as kubectl reads the answer: wait for both.
    const received = await waitUntil('both lists in the audit', async () => {
      const lists = (await e.auditEvents()).filter(
        (event) => event.type === 'request.received' && event.command === 'kubectl get pods -n default',
      );
      return lists.length === 2 && lists;
    });
    expect(received.map((event) => [event.agent, event.runAs])).toEqual([
      [AGENT.id, ONCALL],
      [DEPLOY_AGENT.id, DEPLOY],
    ]);
  });

  it('shows the identity on the approval and sends the approved delete as it', async () => {
    const e = await start();
    const kubectl = startKubectl(['delete', 'namespace', 'payments-staging'], {
      kubeconfig: e.deployKubeconfig,
    });
    const approval = await e.onePendingApproval();
    expect(approval.runAs).toEqual(DEPLOY);
    // Audit records are written in the background; wait for this one.
    const requested = await waitUntil('approval.requested in the audit', async () =>
      (await e.auditEvents()).find((event) => event.type === 'approval.requested'),
    );
    expect(requested).toMatchObject({ approvalId: approval.id, runAs: DEPLOY });

    await e.slackbot.vote(approval.id, { userId: 'U0BOB', decision: 'approve' });
    const result = await kubectl.result(30_000);
    expect(result.stderr).toBe('');
    const deletes = e.upstream
      .received({ method: 'DELETE', path: '/api/v1/namespaces/payments-staging' })
      .filter((request) => !request.query.has('dryRun'));
    expect(deletes.map(identityOf)).toEqual([asLines(DEPLOY)]);
  });

  it('opens an approved exec upgrade as the agent', async () => {
    const e = await start();
    const kubectl = startKubectl(['exec', '-i', 'api-0', '-n', 'prod-payments', '--', 'cat'], {
      kubeconfig: e.deployKubeconfig,
      stdin: 'as the deployer\n',
    });
    const approval = await e.onePendingApproval();
    expect(approval.runAs).toEqual(DEPLOY);
    await e.slackbot.vote(approval.id, { userId: 'U0BOB', decision: 'approve' });
    const result = await kubectl.result(30_000);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('as the deployer\n');
    const exec = e.upstream.received({ path: '/api/v1/namespaces/prod-payments/pods/api-0/exec' });
    expect(exec).toHaveLength(1);
    expect(exec[0]?.upgrade).toBe(true);
    expect(identityOf(exec[0])).toEqual(asLines(DEPLOY));
  });

  it("refuses an exec the agent's RBAC forbids with the cluster's own 403, on the upgrade too", async () => {
    const e = await start();
    const message =
      'pods "web-0" is forbidden: User "gatehouse:agent:agent-oncall" cannot create resource "pods/exec" in API group "" in the namespace "default"';
    e.upstream.intercept(
      { path: '/api/v1/namespaces/default/pods/web-0/exec', headers: { 'impersonate-user': ONCALL.user } },
      {
        respond: {
          status: 403,
          body: {
            kind: 'Status',
            apiVersion: 'v1',
            status: 'Failure',
            message,
            reason: 'Forbidden',
            code: 403,
          },
        },
      },
    );
    const result = await runKubectl(['exec', 'web-0', '-n', 'default', '--', 'hostname'], {
      kubeconfig: e.kubeconfig,
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(message);
    const attempts = e.upstream.received({ path: '/api/v1/namespaces/default/pods/web-0/exec' });
    expect(attempts.length).toBeGreaterThan(0);
    for (const attempt of attempts) {
      expect(attempt.upgrade).toBe(true);
      expect(attempt.status).toBe(403);
      expect(identityOf(attempt)).toEqual(asLines(ONCALL));
    }
    // Recorded once the cluster answered, as kubectl reads the answer: wait for it, then check the status.
    const exec = await waitUntil('the exec in the audit', async () =>
      (await e.auditEvents()).find(
        (event) =>
          event.type === 'request.received' &&
          (event.action as { verb?: string }).verb === 'exec' &&
          event.response !== undefined,
      ),
    );
    expect(exec.response).toEqual({ status: 403, durationMs: expect.any(Number) });
  });

  it("gives kubectl the cluster's own 403 when the agent's RBAC forbids it, and records it", async () => {
    const e = await start();
    const message =
      'pods is forbidden: User "gatehouse:agent:agent-oncall" cannot list resource "pods" in API group "" in the namespace "kube-system"';
    // The cluster's RBAC, as far as this test needs it: the on-call agent may not list kube-system.
    e.upstream.intercept(
      { path: '/api/v1/namespaces/kube-system/pods', headers: { 'impersonate-user': ONCALL.user } },
      {
        respond: {
          status: 403,
          body: {
            kind: 'Status',
            apiVersion: 'v1',
            metadata: {},
            status: 'Failure',
            message,
            reason: 'Forbidden',
            details: { kind: 'pods' },
            code: 403,
          },
        },
      },
    );
    const refused = await runKubectl(['get', 'pods', '-n', 'kube-system'], { kubeconfig: e.kubeconfig });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(`Error from server (Forbidden): ${message}`);
    const allowed = await runKubectl(['get', 'pods', '-n', 'kube-system'], {
      kubeconfig: e.deployKubeconfig,
    });
    expect(allowed.code).toBe(0);

    const refusedList = await waitUntil('the refused list in the audit', async () =>
      (await e.auditEvents()).find(
        (event) =>
          event.type === 'request.received' &&
          event.agent === AGENT.id &&
          event.command === 'kubectl get pods -n kube-system',
      ),
    );
    expect(refusedList).toMatchObject({ response: { status: 403 } });
  });
});
