import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type WrittenKubeconfig, writeKubeconfig } from '../ca/index.js';
import { runKubectl, startKubectl, waitUntil } from '../processes/index.js';
import { deployment, type KubeUpstream, namespace, pod, startKubeUpstream } from './index.js';

const TOKEN = 'agent-token-1';

describe('kube-upstream with the real kubectl', () => {
  let upstream: KubeUpstream;
  let kubeconfig: WrittenKubeconfig;
  const kubectl = (args: string[], stdin?: string) =>
    runKubectl(args, { kubeconfig: kubeconfig.path, stdin });

  beforeAll(async () => {
    upstream = await startKubeUpstream({ auth: { bearerToken: TOKEN } });
    kubeconfig = writeKubeconfig({
      server: upstream.url,
      caPem: upstream.caPem!,
      credentials: { token: TOKEN },
    });
  });
  afterAll(async () => {
    await upstream.close();
    kubeconfig.cleanup();
  });
  beforeEach(() => {
    upstream.store.clear();
    upstream.logs.clear();
    upstream.reset();
    upstream.store.put(namespace('prod'));
    upstream.store.put(pod({ name: 'web-1', namespace: 'prod', labels: { app: 'web' } }));
    upstream.store.put(pod({ name: 'db-1', namespace: 'prod', labels: { app: 'db' } }));
    upstream.store.put(deployment({ name: 'web', namespace: 'prod' }, 3));
  });

  it('serves version and discovery, then lists, recording the bearer token on every request', async () => {
    const result = await kubectl(['get', 'pods', '-n', 'prod', '-l', 'app=web']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain('web-1');
    expect(result.stdout).not.toContain('db-1');
    expect(upstream.requests[0]).toMatchObject({ method: 'GET', path: '/version' });
    expect(
      upstream.received({ path: '/api/v1/namespaces/prod/pods', query: { labelSelector: 'app=web' } }),
    ).toHaveLength(1);
    expect(upstream.requests.every((r) => r.bearerToken === TOKEN)).toBe(true);
    expect(upstream.received({ path: '/api/v1/namespaces/prod/pods' })[0]?.headers['kubectl-command']).toBe(
      'kubectl get',
    );
  });

  it('refuses a wrong token with 401 and records what was sent', async () => {
    const wrong = writeKubeconfig({
      server: upstream.url,
      caPem: upstream.caPem!,
      credentials: { token: 'nope' },
    });
    try {
      const result = await runKubectl(['get', 'pods'], { kubeconfig: wrong.path });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/Unauthorized|provide credentials/);
      expect(upstream.received({ bearerToken: 'nope' }).length).toBeGreaterThan(0);
      expect(upstream.received({ bearerToken: 'nope' }).every((r) => r.status === 401)).toBe(true);
    } finally {
      wrong.cleanup();
    }
  });

  it('streams a watch: existing objects, then live changes, until the watch ends', async () => {
    const watch = startKubectl(['get', 'pods', '-n', 'prod', '-w'], { kubeconfig: kubeconfig.path });
    await upstream.waitFor({ path: '/api/v1/namespaces/prod/pods', query: { watch: 'true' } });
    await waitUntil('the existing pod in the output', () => watch.stdout().includes('web-1'));
    upstream.store.put(pod({ name: 'web-2', namespace: 'prod' }));
    await waitUntil('the new pod in the output', () => watch.stdout().includes('web-2'));
    expect(watch.running()).toBe(true);
    upstream.endWatches();
    const result = await watch.result();
    expect(result.code).toBe(0);
    expect(upstream.openWatches).toBe(0);
  });

  it('applies server-side (PATCH apply-patch) and client-side (create, then strategic merge patch)', async () => {
    const file = join(kubeconfig.dir, 'app.yaml');
    const manifest = (replicas: number) =>
      JSON.stringify({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'api', namespace: 'prod' },
        spec: {
          replicas,
          selector: { matchLabels: { app: 'api' } },
          template: {
            metadata: { labels: { app: 'api' } },
            spec: { containers: [{ name: 'a', image: `nginx:${replicas}`, ports: [{ containerPort: 80 }] }] },
          },
        },
      });
    writeFileSync(file, manifest(2));
    const ssa = await kubectl(['apply', '--server-side', '-f', file]);
    expect(ssa).toMatchObject({ code: 0, stdout: 'deployment.apps/api serverside-applied\n' });
    const patch = upstream.received({
      method: 'PATCH',
      path: '/apis/apps/v1/namespaces/prod/deployments/api',
    });
    expect(patch[0]?.headers['content-type']).toBe('application/apply-patch+yaml');
    expect(upstream.store.find('deployments.apps', 'prod', 'api')?.spec).toMatchObject({ replicas: 2 });

    upstream.store.clear();
    upstream.store.put(namespace('prod'));
    const created = await kubectl(['apply', '-f', file]);
    expect(created).toMatchObject({ code: 0, stdout: 'deployment.apps/api created\n' });
    writeFileSync(file, manifest(5));
    const configured = await kubectl(['apply', '-f', file]);
    expect(configured).toMatchObject({ code: 0, stdout: 'deployment.apps/api configured\n' });
    expect(
      upstream.received({
        method: 'PATCH',
        headers: { 'content-type': 'application/strategic-merge-patch+json' },
      }),
    ).toHaveLength(1);
    const stored = upstream.store.find('deployments.apps', 'prod', 'api');
    expect(stored?.spec).toMatchObject({
      replicas: 5,
      template: { spec: { containers: [{ name: 'a', image: 'nginx:5', ports: [{ containerPort: 80 }] }] } },
    });
    expect(JSON.stringify(stored)).not.toContain('$setElementOrder');
  });

  it('deletes a namespace with everything in it', async () => {
    const result = await kubectl(['delete', 'namespace', 'prod']);
    expect(result).toMatchObject({ code: 0, stdout: 'namespace "prod" deleted\n' });
    const deletes = upstream.received({ method: 'DELETE' });
    expect(deletes.map((r) => r.path)).toEqual(['/api/v1/namespaces/prod']);
    expect(JSON.parse(deletes[0]!.body.toString())).toMatchObject({ propagationPolicy: 'Background' });
    expect(upstream.store.find('namespaces', undefined, 'prod')).toBeUndefined();
    expect(upstream.store.find('pods', 'prod', 'web-1')).toBeUndefined();
  });

  it('scales to zero through the scale subresource', async () => {
    const result = await kubectl(['scale', '-n', 'prod', 'deployment/web', '--replicas=0']);
    expect(result).toMatchObject({ code: 0, stdout: 'deployment.apps/web scaled\n' });
    const [patch] = upstream.received({
      method: 'PATCH',
      path: '/apis/apps/v1/namespaces/prod/deployments/web/scale',
    });
    expect(patch?.headers['content-type']).toBe('application/merge-patch+json');
    expect(JSON.parse(patch!.body.toString())).toEqual({ spec: { replicas: 0 } });
    expect(upstream.store.find('deployments.apps', 'prod', 'web')?.spec).toMatchObject({ replicas: 0 });
  });

  it('execs a command over WebSocket v5 and returns its output and exit code', async () => {
    const hi = await kubectl(['exec', '-n', 'prod', 'web-1', '--', 'echo', 'hi']);
    expect(hi).toMatchObject({ code: 0, stdout: 'hi\n' });
    const failing = await kubectl(['exec', '-n', 'prod', 'web-1', '--', 'sh', '-c', 'exit 3']);
    expect(failing.code).toBe(3);
    expect(upstream.execSessions.map((s) => [s.protocol, s.command, s.exitCode])).toEqual([
      ['v5.channel.k8s.io', ['echo', 'hi'], 0],
      ['v5.channel.k8s.io', ['sh', '-c', 'exit 3'], 3],
    ]);
    const upgrade = upstream.received({ path: '/api/v1/namespaces/prod/pods/web-1/exec' })[0];
    expect(upgrade).toMatchObject({ upgrade: true, bearerToken: TOKEN, status: 101 });
  });

  it('passes stdin to an interactive exec until kubectl closes it', async () => {
    const cat = await kubectl(['exec', '-i', '-n', 'prod', 'web-1', '--', 'cat'], 'line one\nline two\n');
    expect(cat).toMatchObject({ code: 0, stdout: 'line one\nline two\n' });
    const shell = await kubectl(
      ['exec', '-i', '-n', 'prod', 'web-1', '--', 'sh'],
      'hostname\necho ok\nexit 4\n',
    );
    expect(shell).toMatchObject({ code: 4, stdout: 'web-1\nok\n' });
    expect(upstream.execSessions[0]?.stdin).toBe('line one\nline two\n');
  });

  it('refuses exec into a pod that does not exist with a 404 Status', async () => {
    const result = await kubectl(['exec', '-n', 'prod', 'ghost', '--', 'echo', 'hi']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('pods "ghost" not found');
    expect(upstream.execSessions).toHaveLength(0);
  });

  it('serves logs and follows them until the container stops', async () => {
    upstream.logs.write('prod', 'web-1', 'started\n');
    expect(await kubectl(['logs', '-n', 'prod', 'web-1'])).toMatchObject({ code: 0, stdout: 'started\n' });
    const follow = startKubectl(['logs', '-f', '-n', 'prod', 'web-1'], { kubeconfig: kubeconfig.path });
    await upstream.waitFor({ path: '/api/v1/namespaces/prod/pods/web-1/log', query: { follow: 'true' } });
    await waitUntil('the existing log line', () => follow.stdout().includes('started'));
    upstream.logs.write('prod', 'web-1', 'serving\n');
    await waitUntil('the new log line', () => follow.stdout().includes('serving'));
    expect(follow.running()).toBe(true);
    upstream.logs.end('prod', 'web-1');
    expect(await follow.result()).toMatchObject({ code: 0, stdout: 'started\nserving\n' });
  });

  it('ends a followed log when its pod is deleted', async () => {
    const follow = startKubectl(['logs', '-f', '-n', 'prod', 'db-1'], { kubeconfig: kubeconfig.path });
    await upstream.waitFor({ path: '/api/v1/namespaces/prod/pods/db-1/log', query: { follow: 'true' } });
    expect(follow.running()).toBe(true);
    upstream.store.remove('pods', 'prod', 'db-1');
    expect(await follow.result()).toMatchObject({ code: 0 });
  });

  it('answers NotFound and AlreadyExists as Kubernetes Status errors', async () => {
    const missing = await kubectl(['get', 'pod', 'nope', '-n', 'prod']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('pods "nope" not found');
    const file = join(kubeconfig.dir, 'cm.json');
    writeFileSync(
      file,
      JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'prod' } }),
    );
    expect((await kubectl(['create', '-f', file])).code).toBe(0);
    const again = await kubectl(['create', '-f', file]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('configmaps "c" already exists');
    expect(upstream.received({ method: 'POST' }).map((r) => r.status)).toEqual([201, 409]);
  });

  it('holds a request an intercept hangs, leaving kubectl blocked until it is killed', async () => {
    upstream.intercept({ method: 'DELETE' }, { hang: true });
    const blocked = startKubectl(['delete', 'pod', 'web-1', '-n', 'prod'], { kubeconfig: kubeconfig.path });
    await upstream.waitFor({ method: 'DELETE', path: '/api/v1/namespaces/prod/pods/web-1' });
    expect(blocked.running()).toBe(true);
    expect(upstream.store.find('pods', 'prod', 'web-1')).toBeDefined();
    const result = await blocked.kill();
    expect(result.code).not.toBe(0);
  });

  it('fails a request an intercept answers, for the given number of times', async () => {
    upstream.intercept({ method: 'DELETE' }, { respond: { status: 500 } }, { times: 1 });
    const failed = await kubectl(['delete', 'pod', 'web-1', '-n', 'prod', '--wait=false']);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('injected by the test');
    expect(upstream.store.find('pods', 'prod', 'web-1')).toBeDefined();
    const passed = await kubectl(['delete', 'pod', 'web-1', '-n', 'prod', '--wait=false']);
    expect(passed.code).toBe(0);
    expect(upstream.store.find('pods', 'prod', 'web-1')).toBeUndefined();
  });
});

describe('kube-upstream discovery and credentials modes', () => {
  it('serves legacy per-group-version discovery when configured', async () => {
    const upstream = await startKubeUpstream({ discovery: 'legacy' });
    const kubeconfig = writeKubeconfig({
      server: upstream.url,
      caPem: upstream.caPem!,
      credentials: { token: 't' },
    });
    try {
      upstream.store.put(deployment({ name: 'web' }));
      const result = await runKubectl(['get', 'deployments'], { kubeconfig: kubeconfig.path });
      expect(result.stdout).toContain('web');
      expect(upstream.received({ path: '/api/v1' })).toHaveLength(1);
      expect(upstream.received({ path: '/apis/apps/v1' })).toHaveLength(1);
    } finally {
      await upstream.close();
      kubeconfig.cleanup();
    }
  });
});
