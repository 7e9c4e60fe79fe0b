import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type WrittenKubeconfig, writeKubeconfig } from '../ca/index.js';
import { runKubectl } from '../processes/index.js';
import { deployment, type KubeUpstream, namespace, pod, startKubeUpstream } from './index.js';

/** The everyday kubectl commands an agent runs, each against the fake upstream. */
describe('kube-upstream serves everyday kubectl commands', () => {
  let upstream: KubeUpstream;
  let kubeconfig: WrittenKubeconfig;
  const kubectl = (...args: string[]) => runKubectl(args, { kubeconfig: kubeconfig.path });

  beforeAll(async () => {
    upstream = await startKubeUpstream();
    kubeconfig = writeKubeconfig({
      server: upstream.url,
      caPem: upstream.caPem!,
      credentials: { token: 't' },
    });
  });
  afterAll(async () => {
    await upstream.close();
    kubeconfig.cleanup();
  });
  beforeEach(() => {
    upstream.store.clear();
    upstream.reset();
    upstream.store.put(namespace('prod'));
    upstream.store.put(pod({ name: 'web-1', namespace: 'prod' }));
    upstream.store.put(deployment({ name: 'web', namespace: 'prod' }));
  });

  it('creates namespaces, configmaps, secrets and service accounts sent as protobuf', async () => {
    expect(await kubectl('create', 'namespace', 'payments')).toMatchObject({ code: 0 });
    expect(await kubectl('create', 'configmap', 'c', '-n', 'payments', '--from-literal=a=b')).toMatchObject({
      code: 0,
    });
    expect(
      await kubectl('create', 'secret', 'generic', 's', '-n', 'payments', '--from-literal=p=q'),
    ).toMatchObject({
      code: 0,
    });
    expect(await kubectl('create', 'serviceaccount', 'bot', '-n', 'payments')).toMatchObject({ code: 0 });
    expect(
      upstream
        .received({ method: 'POST' })
        .every((r) => r.headers['content-type'] === 'application/vnd.kubernetes.protobuf'),
    ).toBe(true);
    expect(upstream.store.find('configmaps', 'payments', 'c')?.data).toEqual({ a: 'b' });
    expect(upstream.store.find('secrets', 'payments', 's')?.data).toEqual({
      p: Buffer.from('q').toString('base64'),
    });
    expect(upstream.store.find('serviceaccounts', 'payments', 'bot')).toBeDefined();
  });

  it('refuses protobuf bodies of kinds it cannot decode with 415, naming them', async () => {
    const result = await kubectl('create', 'deployment', 'd', '--image=nginx', '-n', 'prod');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('kind Deployment');
    expect(upstream.store.find('deployments.apps', 'prod', 'd')).toBeUndefined();
  });

  it('answers auth can-i', async () => {
    expect(await kubectl('auth', 'can-i', 'delete', 'pods', '-n', 'prod')).toMatchObject({
      code: 0,
      stdout: 'yes\n',
    });
  });

  it('converges workloads at once, so rollout status and wait finish', async () => {
    expect(await kubectl('rollout', 'restart', 'deployment/web', '-n', 'prod')).toMatchObject({ code: 0 });
    const status = await kubectl('rollout', 'status', 'deployment/web', '-n', 'prod', '--timeout=20s');
    expect(status).toMatchObject({ code: 0, stdout: 'deployment "web" successfully rolled out\n' });
    const wait = await kubectl(
      'wait',
      '--for=condition=Available',
      'deployment/web',
      '-n',
      'prod',
      '--timeout=20s',
    );
    expect(wait).toMatchObject({ code: 0 });
  });

  it('lists the "all" category without namespaces or configmaps', async () => {
    upstream.store.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: 'prod' } });
    const result = await kubectl('get', 'all', '-n', 'prod', '-o', 'name');
    expect(result.stdout.trim().split('\n').sort()).toEqual(['deployment.apps/web', 'pod/web-1']);
  });

  it('labels, annotates and json-patches', async () => {
    expect(await kubectl('label', 'pod', 'web-1', '-n', 'prod', 'tier=front')).toMatchObject({ code: 0 });
    expect(await kubectl('annotate', 'pod', 'web-1', '-n', 'prod', 'note=x')).toMatchObject({ code: 0 });
    const patch = '[{"op":"replace","path":"/spec/replicas","value":1}]';
    expect(
      await kubectl('patch', 'deployment', 'web', '-n', 'prod', '--type=json', '-p', patch),
    ).toMatchObject({ code: 0 });
    const stored = upstream.store.find('pods', 'prod', 'web-1');
    expect(stored?.metadata.labels).toEqual({ tier: 'front' });
    expect(stored?.metadata.annotations).toEqual({ note: 'x' });
    expect(upstream.store.find('deployments.apps', 'prod', 'web')?.spec).toMatchObject({ replicas: 1 });
  });

  it('deletes by label selector (deletecollection) and reports objects that stay', async () => {
    upstream.store.put(pod({ name: 'api-1', namespace: 'prod', labels: { app: 'api' } }));
    upstream.store.put(pod({ name: 'api-2', namespace: 'prod', labels: { app: 'api' } }));
    expect(await kubectl('delete', 'pods', '-n', 'prod', '-l', 'app=api', '--wait=false')).toMatchObject({
      code: 0,
    });
    expect(upstream.store.find('pods', 'prod', 'api-1')).toBeUndefined();
    expect(upstream.store.find('pods', 'prod', 'api-2')).toBeUndefined();
    expect(upstream.store.find('pods', 'prod', 'web-1')).toBeDefined();
  });

  it('serves dry runs without storing', async () => {
    const result = await kubectl('delete', 'deployment', 'web', '-n', 'prod', '--dry-run=server');
    expect(result).toMatchObject({ code: 0, stdout: 'deployment.apps "web" deleted (server dry run)\n' });
    expect(upstream.received({ method: 'DELETE' })[0]?.body.toString()).toContain('"dryRun":["All"]');
    expect(upstream.store.find('deployments.apps', 'prod', 'web')).toBeDefined();
  });
});
