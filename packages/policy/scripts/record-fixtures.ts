/**
 * Records what the real kubectl sends, as fixtures for the policy's table-driven tests.
 *
 *   pnpm --filter @gatehouse/policy record-fixtures            # all scenarios
 *   pnpm --filter @gatehouse/policy record-fixtures exec-ws    # some of them
 *
 * Each scenario runs /usr/bin/kubectl (or $KUBECTL) against the testkit's recording HTTPS
 * upstream, with a fresh discovery cache, and writes every request it received to
 * fixtures/kubectl-1.32/<scenario>.json (bodies base64, random or secret headers dropped).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeKubeconfig } from '@gatehouse/testkit/ca';
import {
  deployment,
  type KubeUpstream,
  namespace,
  pod,
  startKubeUpstream,
} from '@gatehouse/testkit/kube-upstream';

const KUBECTL = process.env.KUBECTL ?? '/usr/bin/kubectl';
const OUT = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'kubectl-1.32');
/** Headers that change every run or carry secrets: left out so fixtures are stable and safe to commit. */
const DROPPED_HEADERS = new Set(['authorization', 'host', 'sec-websocket-key', 'kubectl-session']);

interface Scenario {
  name: string;
  args: string[];
  stdin?: string;
  env?: Record<string, string>;
  /** Streams that never end by themselves (watch, logs -f, port-forward, attach) are stopped after this. */
  killAfterMs?: number;
  setup?: (upstream: KubeUpstream) => void;
}

const webZero = JSON.stringify({ ...deployment({ name: 'web', namespace: 'prod' }, 0), status: undefined });
const apiNew = JSON.stringify({ ...deployment({ name: 'api', namespace: 'prod' }, 2), status: undefined });
const refuseUpgrades = (upstream: KubeUpstream) => {
  upstream.intercept(
    { path: /\/(exec|attach|portforward)$/, headers: { upgrade: /websocket/i } },
    { respond: { status: 403 } },
  );
};

const SCENARIOS: Scenario[] = [
  { name: 'get-pods', args: ['get', 'pods', '-n', 'prod'] },
  { name: 'get-pod', args: ['get', 'pod', 'web-1', '-n', 'prod', '-o', 'yaml'] },
  { name: 'get-pods-all-namespaces', args: ['get', 'pods', '-A', '-l', 'app=web'] },
  { name: 'get-namespaces', args: ['get', 'namespaces'] },
  { name: 'watch-pods', args: ['get', 'pods', '-n', 'prod', '-w'], killAfterMs: 2500 },
  { name: 'apply-create', args: ['apply', '-f', '-'], stdin: apiNew },
  { name: 'apply-update-to-zero', args: ['apply', '-f', '-'], stdin: webZero },
  { name: 'apply-server-side-to-zero', args: ['apply', '--server-side', '-f', '-'], stdin: webZero },
  // Typed clients send built-in objects as protobuf: the parser must cope with bodies it cannot read.
  { name: 'create-configmap', args: ['create', 'configmap', 'settings', '-n', 'prod', '--from-literal=a=b'] },
  { name: 'create-from-file', args: ['create', '-f', '-'], stdin: apiNew },
  { name: 'replace-to-zero', args: ['replace', '-f', '-'], stdin: webZero },
  {
    name: 'edit-to-zero',
    args: ['edit', 'deployment', 'web', '-n', 'prod'],
    env: { KUBE_EDITOR: 'sed -i -e s/replicas:\\ 2/replicas:\\ 0/' },
  },
  { name: 'delete-pod', args: ['delete', 'pod', 'web-1', '-n', 'prod'] },
  { name: 'delete-all-pods', args: ['delete', 'pods', '--all', '-n', 'prod'] },
  { name: 'delete-dry-run-server', args: ['delete', 'pod', 'web-1', '-n', 'prod', '--dry-run=server'] },
  { name: 'delete-namespace', args: ['delete', 'namespace', 'payments-staging'] },
  { name: 'scale-to-zero', args: ['scale', 'deployment/web', '--replicas=0', '-n', 'prod'] },
  { name: 'scale-to-three', args: ['scale', 'deployment', 'web', '--replicas=3', '-n', 'prod'] },
  {
    name: 'patch-strategic',
    args: ['patch', 'deployment', 'web', '-n', 'prod', '-p', '{"spec":{"replicas":0}}'],
  },
  {
    name: 'patch-merge',
    args: ['patch', 'deployment', 'web', '-n', 'prod', '--type=merge', '-p', '{"spec":{"replicas":0}}'],
  },
  {
    name: 'patch-json',
    args: [
      'patch',
      'deployment',
      'web',
      '-n',
      'prod',
      '--type=json',
      '-p',
      '[{"op":"replace","path":"/spec/replicas","value":0}]',
    ],
  },
  { name: 'rollout-restart', args: ['rollout', 'restart', 'deployment/web', '-n', 'prod'] },
  { name: 'exec-websocket', args: ['exec', '-n', 'prod', 'web-1', '--', 'echo', 'hi'] },
  { name: 'exec-spdy-fallback', args: ['exec', '-n', 'prod', 'web-1', '--', 'sh'], setup: refuseUpgrades },
  { name: 'attach', args: ['attach', '-n', 'prod', 'web-1'], killAfterMs: 2500 },
  {
    name: 'attach-spdy-fallback',
    args: ['attach', '-n', 'prod', 'web-1'],
    setup: refuseUpgrades,
    killAfterMs: 2500,
  },
  { name: 'port-forward', args: ['port-forward', '-n', 'prod', 'pod/web-1', '0:8080'], killAfterMs: 2500 },
  { name: 'logs', args: ['logs', 'web-1', '-n', 'prod'] },
  { name: 'logs-follow', args: ['logs', '-f', 'web-1', '-n', 'prod', '-c', 'app'], killAfterMs: 2500 },
  { name: 'cordon', args: ['cordon', 'node-1'] },
  {
    name: 'drain',
    args: ['drain', 'node-1', '--ignore-daemonsets', '--force', '--timeout=5s'],
    killAfterMs: 8000,
  },
];

function seed(upstream: KubeUpstream): void {
  upstream.store.clear();
  for (const ns of ['default', 'prod', 'payments-staging']) upstream.store.put(namespace(ns));
  const web1 = pod({ name: 'web-1', namespace: 'prod', labels: { app: 'web' } });
  upstream.store.put({ ...web1, spec: { ...(web1.spec as object), nodeName: 'node-1' } });
  upstream.store.put(pod({ name: 'web-2', namespace: 'prod', labels: { app: 'web' } }));
  upstream.store.put(deployment({ name: 'web', namespace: 'prod' }, 2));
  upstream.store.put({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1' }, spec: {} });
}

function run(scenario: Scenario, kubeconfig: string, cacheDir: string): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(KUBECTL, ['--kubeconfig', kubeconfig, '--cache-dir', cacheDir, ...scenario.args], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cacheDir, ...scenario.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d));
    child.stderr.on('data', (d: Buffer) => (output += d));
    child.stdin.end(scenario.stdin ?? '');
    const timer = setTimeout(() => child.kill('SIGKILL'), scenario.killAfterMs ?? 15_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      console.log(
        `  ${scenario.name}: exit ${code ?? 'killed'}\n    ${output.trim().split('\n').join('\n    ')}`,
      );
      resolve(code);
    });
  });
}

async function main(): Promise<void> {
  const only = new Set(process.argv.slice(2));
  const upstream = await startKubeUpstream();
  const kubeconfig = writeKubeconfig({
    server: upstream.url,
    caPem: upstream.caPem!,
    credentials: { token: 'fixture-token' },
    namespace: 'prod',
  });
  mkdirSync(OUT, { recursive: true });
  upstream.logs.write('prod', 'web-1', 'started\n');
  try {
    for (const scenario of SCENARIOS) {
      if (only.size > 0 && !only.has(scenario.name)) continue;
      seed(upstream);
      upstream.reset();
      scenario.setup?.(upstream);
      const cacheDir = mkdtempSync(join(tmpdir(), 'kubectl-cache-'));
      const exitCode = await run(scenario, kubeconfig.path, cacheDir);
      rmSync(cacheDir, { recursive: true, force: true });
      const requests = upstream.requests.map((r) => ({
        method: r.method,
        path: r.path,
        query: r.query.toString(),
        headers: Object.fromEntries(Object.entries(r.headers).filter(([k]) => !DROPPED_HEADERS.has(k))),
        body: r.body.length === 0 ? null : r.body.toString('base64'),
        status: r.status ?? null,
      }));
      const fixture = {
        kubectl: 'v1.32',
        args: scenario.args,
        stdin: scenario.stdin ?? null,
        exitCode,
        requests,
      };
      writeFileSync(join(OUT, `${scenario.name}.json`), `${JSON.stringify(fixture, null, 2)}\n`);
    }
  } finally {
    kubeconfig.cleanup();
    await upstream.close();
  }
}

await main();
