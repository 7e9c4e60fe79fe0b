import { namespace } from '@gatehouse/testkit/kube-upstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_ID, PEOPLE, type Stack, startStack } from '../stack/index.js';
import { slackAsSeen } from '../stack/slack-as-seen.js';
import { visibleText } from '../stack/slack-clicks.js';

/**
 * The seed's scenario, as the people who asked for Gatehouse will check it: separate gateway and
 * slackbot processes, the real kubectl, signed Slack clicks, and a recording Kubernetes API that
 * proves what did and did not reach the cluster.
 */
describe.each(['kubeconfig', 'eks'] as const)('the seed scenario (%s cluster)', (clusterType) => {
  let stack: Stack;
  const namespaceDeletes = () =>
    stack.upstream.received({ method: 'DELETE', path: '/api/v1/namespaces/payments-staging' });
  let approvedId = '';
  let deniedId = '';

  beforeAll(async () => {
    stack = await startStack({ clusterType });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('1. kubectl get pods passes at once', async () => {
    const result = await stack.kubectl(['get', 'pods', '-n', 'payments-staging']).result();
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('api-7d9f');
    expect(stack.approvalMessages()).toEqual([]);
  });

  it('2-4. kubectl delete namespace blocks; the owner and a non-member are refused; an SRE approves; it runs once', async () => {
    const kubectl = stack.kubectl(['delete', 'namespace', 'payments-staging']);
    const [message] = await stack.waitForMessages(1);
    const shown = visibleText(message!.blocks);
    expect(shown).toContain(AGENT_ID);
    expect(shown).toContain('kubectl delete namespace payments-staging');
    expect(shown).toContain('sre-oncall');
    approvedId = String(message!.metadata?.event_payload.approval_id);
    expect(approvedId).not.toBe('');
    expect(kubectl.running()).toBe(true);

    // 3. The agent's owner and someone outside sre-oncall: both refused, nothing reaches the cluster.
    expect((await stack.click(PEOPLE.alice, message!, 'Approve')).status).toBe(200);
    expect((await stack.click(PEOPLE.carol, message!, 'Approve')).status).toBe(200);
    await stack.slack.waitFor('two refusals', () => stack.ephemeralReplies().length >= 2);
    const [toAlice, toCarol] = stack.ephemeralReplies();
    expect(toAlice).toMatch(/own/i);
    expect(toCarol).toMatch(/sre-oncall/);
    expect(kubectl.running()).toBe(true);
    expect(namespaceDeletes()).toEqual([]);

    // 4. An sre-oncall member approves: kubectl finishes and the cluster sees exactly one DELETE.
    expect((await stack.click(PEOPLE.bob, message!, 'Approve')).status).toBe(200);
    const result = await kubectl.result();
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('namespace "payments-staging" deleted');
    expect(namespaceDeletes()).toHaveLength(1);
    await stack.slack.waitFor('the message to show the result', () =>
      /200/.test(visibleText(stack.message(message!.ts).blocks)),
    );
    const updated = visibleText(stack.message(message!.ts).blocks);
    expect(updated).toContain(`<@${PEOPLE.bob.id}>`);
    expect(updated).toMatch(/approved/i);
    expect(updated).toMatch(/\d{4}-\d\d-\d\dT\d\d:\d\d/);
    // What pnpm demo prints of it: what a person sees in Slack, no raw markup left.
    const names = Object.fromEntries(Object.values(PEOPLE).map((person) => [person.id, person.name]));
    const asSeen = slackAsSeen(stack.message(message!.ts).blocks, { names });
    expect(asSeen).toContain('Approved by @bob');
    expect(asSeen).toMatch(/(Today|Yesterday|Tomorrow|[A-Z][a-z]{2} \d+, \d{4}) at \d+:\d\d:\d\d [AP]M/);
    expect(asSeen).toContain('🚀');
    expect(asSeen).not.toMatch(
      /<[@!#]|<https?:|:(rocket|mag|white_check_mark|hourglass_flowing_sand|warning):/,
    );
  });

  it('5. a second delete is denied with a reason, kubectl names the denier, the cluster gets nothing', async () => {
    stack.upstream.store.put(namespace('payments-staging'));
    const deletesBefore = stack.upstream.received({ method: 'DELETE' }).length;
    const kubectl = stack.kubectl(['delete', 'namespace', 'payments-staging']);
    const messages = await stack.waitForMessages(2);
    const message = messages[1]!;
    deniedId = String(message.metadata?.event_payload.approval_id);
    await stack.deny(PEOPLE.dave, message, 'payments freeze until Monday');
    const result = await kubectl.result();
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('payments freeze until Monday');
    expect(result.stderr).toMatch(new RegExp(`${PEOPLE.dave.id}|${PEOPLE.dave.name}`));
    expect(stack.upstream.received({ method: 'DELETE' })).toHaveLength(deletesBefore);
    await stack.slack.waitFor('the message to show the denial', () =>
      /denied/i.test(visibleText(stack.message(message.ts).blocks)),
    );
  });

  it('6. the audit CLI tells both stories and the chain verifies', async () => {
    const approved = await stack.audit(['show', approvedId]);
    expect(approved.code).toBe(0);
    expect(approved.stdout).toContain(AGENT_ID);
    expect(approved.stdout).toContain('kubectl delete namespace payments-staging');
    expect(approved.stdout).toContain(PEOPLE.bob.id);
    expect(approved.stdout).toMatch(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/);
    expect(approved.stdout).toMatch(/200/);

    const denied = await stack.audit(['show', deniedId]);
    expect(denied.code).toBe(0);
    expect(denied.stdout).toContain(PEOPLE.dave.id);
    expect(denied.stdout).toContain('payments freeze until Monday');

    const verified = await stack.audit(['verify']);
    expect(verified.stderr).toBe('');
    expect(verified.code).toBe(0);
  });

  it.runIf(clusterType === 'eks')('7. the cluster saw EKS tokens minted from the local STS', () => {
    const sts = stack.sts!;
    expect(sts.calls.length).toBeGreaterThan(0);
    expect(sts.calls[0]!.roleArn).toBe('arn:aws:iam::123456789012:role/gatehouse-eks');
    const seen = stack.upstream.requests.filter((request) => request.path.startsWith('/api'));
    expect(seen.length).toBeGreaterThan(0);
    for (const request of seen) {
      const token = String(request.headers.authorization ?? '').replace(/^Bearer /, '');
      expect(token).toMatch(/^k8s-aws-v1\./);
      expect(sts.credentialsForEksToken(token, stack.eksClusterName)?.accessKeyId).toMatch(/^ASIAFAKESTS/);
    }
  });
});
