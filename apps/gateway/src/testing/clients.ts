import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type KubeUpstream, namespace, pod } from '@gatehouse/testkit/kube-upstream';
import { type ManagedProcess, startProcess, waitUntil } from '@gatehouse/testkit/processes';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { type E2e, type E2eOptions, startE2e } from './e2e.js';

/**
 * A fresh stack per test, stopped after it (the afterEach is registered here): returns the
 * start function. `seed` puts what the suite's tests expect in the cluster.
 */
export function stackPerTest(
  seed: (e: E2e) => void = seedClientCluster,
): (options?: E2eOptions) => Promise<E2e> {
  let env: E2e | undefined;
  afterEach(async () => {
    await env?.stop();
    env = undefined;
  });
  return async (options) => {
    env = await startE2e(options);
    seed(env);
    return env;
  };
}

/** What the client suites act on: a held namespace (prod-payments) with a pod, and a deletable one. */
export function seedClientCluster(e: { readonly upstream: KubeUpstream }): void {
  e.upstream.store.put(namespace('prod-payments'));
  e.upstream.store.put(namespace('payments-staging'));
  e.upstream.store.put(pod({ name: 'api-0', namespace: 'prod-payments' }));
}

/** Deletes that changed the cluster (a preview's dry run is not one). */
export function namespaceDeletes(e: { readonly upstream: KubeUpstream }, name: string) {
  return e.upstream
    .received({ method: 'DELETE', path: `/api/v1/namespaces/${name}` })
    .filter((request) => !request.query.has('dryRun'));
}

/** A pod's web server for port-forward tests (the suite's beforeAll/afterAll are registered here). */
export function podWebServer(): { port(): number; expose(e: E2e, podPort?: number): void } {
  const web = createServer((req, res) => res.end(`pod answered ${req.url}\n`));
  beforeAll(async () => {
    web.listen(0, '127.0.0.1');
    await once(web, 'listening');
  });
  afterAll(() => web.close());
  const port = () => (web.address() as AddressInfo).port;
  return {
    port,
    expose(e, podPort = 8080) {
      e.upstream.podPorts.expose('prod-payments', 'api-0', podPort, { host: '127.0.0.1', port: port() });
    },
  };
}

/** What an approved session's asciicast replays: stdin typed and output printed, each joined. */
export async function replay(e: E2e, approvalId: string): Promise<{ input: string; output: string }> {
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

/** The approved port-forward's counts: they match what the pod's port received and sent. */
export async function forwardedCounts(e: E2e, approvalId: string) {
  return waitUntil('the port-forward counts', async () =>
    (await e.auditEvents()).find(
      (event) => event.type === 'session.forwarded' && event.approvalId === approvalId,
    ),
  );
}

/** An agent's last line: what its operation came to. */
export interface AgentAnswer {
  ok: boolean;
  output?: unknown;
  error?: string | null;
  body?: string | null;
  status?: { status?: string };
}

/** A running agent process (agent.py or agent-node.mjs): the items it printed so far, and its answer. */
export interface Agent {
  items(): string[];
  /** Waits until the agent has printed an item equal to `value`. */
  printed(value: string): Promise<void>;
  answer(): Promise<AgentAnswer>;
}

/** Debian's python3-kubernetes is installed for the system Python (scripts/install-test-clients.sh). */
const PYTHON = '/usr/bin/python3';
const AGENT_PY = fileURLToPath(new URL('../e2e/clients/agent.py', import.meta.url));
const AGENT_NODE = fileURLToPath(new URL('../e2e/clients/agent-node.mjs', import.meta.url));

/** Where an agent runs against: the in-process stack (E2e) or the process stack's agent kubeconfig. */
export interface AgentTarget {
  readonly kubeconfig: string;
}

async function startAgent(command: string, script: string, e: AgentTarget, args: string[]): Promise<Agent> {
  const agent: ManagedProcess = await startProcess({
    command,
    args: [script, e.kubeconfig, ...args],
    ready: { immediately: true },
    name: `${script} ${args[0]}`,
  });
  const lines = () =>
    agent
      .stdout()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { item?: string } & AgentAnswer);
  const items = () => lines().flatMap((line) => (line.item === undefined ? [] : [line.item]));
  return {
    items,
    async printed(value) {
      await waitUntil(`the agent to print ${JSON.stringify(value)}`, () => items().includes(value));
    },
    async answer() {
      await agent.exited;
      const answer = lines().findLast((line) => line.item === undefined);
      if (!answer) throw new Error(`the agent gave no answer; it printed:\n${agent.output()}`);
      return answer;
    },
  };
}

/** The Kubernetes Python client (agent.py OPERATION ARGS…). */
export const python = (e: AgentTarget, ...args: string[]) => startAgent(PYTHON, AGENT_PY, e, args);

/** @kubernetes/client-node (agent-node.mjs OPERATION ARGS…). */
export const clientNode = (e: AgentTarget, ...args: string[]) =>
  startAgent(process.execPath, AGENT_NODE, e, args);
