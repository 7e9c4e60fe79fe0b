import { namespace } from '@gatehouse/testkit/kube-upstream';
import { KUBECTL_1_20, type KubectlOptions, startKubectl } from '@gatehouse/testkit/processes';
import { describe, expect, it } from 'vitest';
import { type Agent, clientNode, namespaceDeletes, python } from '../../apps/gateway/src/testing/clients.js';
import { clientStackWithSlack } from '../stack/clients.js';
import { PEOPLE } from '../stack/index.js';

/**
 * Each client an agent uses, through the running gateway and slackbot: an approver's signed
 * Approve click lets a held exec run, a signed Deny with a reason reaches the agent. The full
 * matrix per client (watch, logs -f, port-forward, recordings) is in apps/gateway/src/e2e.
 */
const slack = clientStackWithSlack();

/** What the agent's run came to, as the agent sees it: everything it printed or was told. */
interface Outcome {
  ok: boolean;
  shown: string;
}

async function agentOutcome(started: Promise<Agent>): Promise<Outcome> {
  const answer = await (await started).answer();
  const shown = [answer.output, answer.error, answer.body].filter((part) => typeof part === 'string');
  return { ok: answer.ok, shown: shown.join('\n') };
}

function kubectl(options: Pick<KubectlOptions, 'binary'>) {
  const run = async (args: string[]): Promise<Outcome> => {
    const result = await startKubectl(args, { kubeconfig: slack.kubeconfig, ...options }).result();
    return { ok: result.code === 0, shown: result.stdout + result.stderr };
  };
  return {
    exec: (...command: string[]) => run(['exec', 'api-0', '-n', 'prod-payments', '--', ...command]),
    deleteNamespace: (name: string) => run(['delete', 'namespace', name, '--wait=false']),
  };
}

const CLIENTS = [
  {
    name: 'the Kubernetes Python client',
    exec: (...command: string[]) => agentOutcome(python(slack, 'exec', 'prod-payments', 'api-0', ...command)),
    deleteNamespace: (name: string) => agentOutcome(python(slack, 'delete-namespace', name)),
  },
  {
    name: '@kubernetes/client-node',
    exec: (...command: string[]) =>
      agentOutcome(clientNode(slack, 'exec', 'prod-payments', 'api-0', ...command)),
    deleteNamespace: (name: string) => agentOutcome(clientNode(slack, 'delete-namespace', name)),
  },
  { name: 'kubectl 1.20 (exec over SPDY)', ...kubectl({ binary: KUBECTL_1_20 }) },
  { name: 'kubectl 1.32 (exec over WebSocket)', ...kubectl({}) },
] as const;

describe.each(CLIENTS)('$name through the gateway and the slackbot', (client) => {
  it('holds an exec until an approver clicks Approve in Slack, then runs it', async () => {
    const execsBefore = slack.stack.upstream.execSessions.length;
    const ran = client.exec('echo', 'from the agent');
    const message = await slack.held();
    expect(slack.stack.upstream.execSessions).toHaveLength(execsBefore);
    await slack.approve(message);
    expect(await ran).toEqual({ ok: true, shown: 'from the agent\n' });
    expect(slack.stack.upstream.execSessions).toHaveLength(execsBefore + 1);
  });

  it('shows the agent who denied a delete in Slack and why, and nothing is sent', async () => {
    slack.stack.upstream.store.put(namespace('payments-staging'));
    const deleted = client.deleteNamespace('payments-staging');
    await slack.deny(await slack.held(), 'not during the freeze');
    const outcome = await deleted;
    expect(outcome.ok).toBe(false);
    expect(outcome.shown).toMatch(
      new RegExp(`denied by (${PEOPLE.bob.id}|${PEOPLE.bob.name}).*not during the freeze`),
    );
    expect(namespaceDeletes(slack.stack, 'payments-staging')).toEqual([]);
  });
});
