import { createHash } from 'node:crypto';
import type { ApprovalPreview, HeldRequest } from '@gatehouse/approvals';
import { type KubeRequest, parseAction } from '@gatehouse/policy';
import { writeKubeconfig } from '@gatehouse/testkit/ca';
import {
  configMap,
  deployment,
  type KubeUpstream,
  pod,
  startKubeUpstream,
} from '@gatehouse/testkit/kube-upstream';
import { waitUntil } from '@gatehouse/testkit/processes';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { actingAs } from '../impersonation/index.js';
import { createLimits, type LimitSettings } from '../limits/index.js';
import type { GatewayContext } from '../ports.js';
import { type ClusterUpstream, createClusterUpstream } from '../upstream/index.js';
import { computePreview, startPreview } from './index.js';

const LIMITS: LimitSettings = {
  maxHeldPerAgent: 1,
  maxHeld: 1,
  maxHeldBodyBytes: 1024,
  bodyMemoryBytes: 1024,
  bodyMemoryPerAgentBytes: 1024,
  bodyTimeoutMs: 1000,
  previewConcurrency: 4,
  previewMaxRequests: 32,
};

const NOW = Date.parse('2026-11-26T00:00:00Z');
const THREE_DAYS_AGO = '2026-11-23T00:00:00Z';
const SECRET_DATA = Buffer.from('hunter2-do-not-show').toString('base64');

let upstream: KubeUpstream;
let cluster: ClusterUpstream;
let kubeconfig: ReturnType<typeof writeKubeconfig>;
beforeEach(async () => {
  upstream = await startKubeUpstream({ auth: { bearerToken: 'cluster-token' } });
  kubeconfig = writeKubeconfig({
    server: upstream.url,
    caPem: upstream.caPem!,
    credentials: { token: 'cluster-token' },
  });
  cluster = await createClusterUpstream({
    name: 'prod',
    type: 'kubeconfig',
    kubeconfig: kubeconfig.path,
    impersonate: true,
  });
});
afterEach(async () => {
  await cluster.close();
  await upstream.close();
  kubeconfig.cleanup();
});

function held(method: string, target: string, body?: unknown): { request: HeldRequest; kube: KubeRequest } {
  const [path = '', query = ''] = target.split('?');
  const bytes = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  const headers: Record<string, string> = bytes
    ? { 'content-type': method === 'PATCH' ? 'application/merge-patch+json' : 'application/json' }
    : {};
  return {
    kube: { method, path, query, headers, body: bytes },
    request: {
      method,
      path,
      query,
      headers,
      bodyBase64: bytes?.toString('base64'),
      bodySha256: createHash('sha256')
        .update(bytes ?? Buffer.alloc(0))
        .digest('hex'),
    },
  };
}

/** The cluster as the approved request reaches it: impersonating the agent. */
const asAgent = () => actingAs(cluster, { user: 'gatehouse:agent:a1', groups: ['gatehouse:agents'] });

async function preview(method: string, target: string, body?: unknown, timeoutMs = 10_000, maxRequests = 32) {
  const { request, kube } = held(method, target, body);
  return computePreview(
    { approvalId: 'ap1', action: parseAction(kube), request, upstream: cluster, dispatchUpstream: asAgent() },
    { timeoutMs, clock: { now: () => NOW }, maxRequests },
  );
}

const put = (object: Record<string, unknown> & { metadata: Record<string, unknown> }) =>
  upstream.store.put(object as Parameters<KubeUpstream['store']['put']>[0]);

function seedNamespace(ns: string) {
  put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, creationTimestamp: THREE_DAYS_AGO } });
  for (const name of ['api', 'web', 'worker']) put(deployment({ name, namespace: ns }));
  put({
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'db', namespace: ns },
    spec: { replicas: 1 },
  });
  for (let i = 0; i < 11; i++) put(pod({ name: `api-${i}`, namespace: ns }));
  put({ ...pod({ name: 'pending-0', namespace: ns }), status: { phase: 'Pending' } });
  for (const name of ['api', 'web'])
    put({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns }, spec: {} });
  put({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: 'web', namespace: ns },
    spec: {},
  });
  for (const [name, size] of [
    ['data-0', '10Gi'],
    ['data-1', '10Gi'],
  ] as const) {
    put({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name, namespace: ns },
      spec: { resources: { requests: { storage: size } } },
    });
  }
  put(configMap({ name: 'settings', namespace: ns }, { mode: 'live' }));
  for (let i = 0; i < 4; i++) {
    put({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: `creds-${i}`, namespace: ns },
      data: { password: SECRET_DATA },
    });
  }
  put({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'migrate', namespace: ns }, spec: {} });
  put({ apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'nightly', namespace: ns }, spec: {} });
}

describe('delete namespace', () => {
  it('counts what it holds, with running pods and requested storage, and dry-runs the delete', async () => {
    seedNamespace('payments-staging');
    put(deployment({ name: 'elsewhere', namespace: 'other' }));
    const result = await preview('DELETE', '/api/v1/namespaces/payments-staging', {
      kind: 'DeleteOptions',
      apiVersion: 'v1',
      propagationPolicy: 'Background',
    });
    expect(result).toEqual({
      status: 'ready',
      summary:
        'Would delete namespace payments-staging (age 3d) with 3 deployments, 1 statefulset, 12 pods (11 running), ' +
        '2 services, 1 ingress, 2 PVCs (20Gi), 1 configmap, 4 secrets, 1 job, 1 cronjob',
      dryRun: { outcome: 'would-succeed' },
      pin: {
        kind: 'namespace',
        name: 'payments-staging',
        namespace: undefined,
        uid: upstream.store.find('namespaces', undefined, 'payments-staging')?.metadata.uid,
        resourceVersion: upstream.store.find('namespaces', undefined, 'payments-staging')?.metadata
          .resourceVersion,
        contents: { workloads: 4, pods: 12, pvcs: 2 },
      },
      at: NOW,
      durationMs: 0,
    });
    // Dry run only: the namespace is still there, and the one DELETE carried dryRun=All.
    expect(upstream.store.find('namespaces', undefined, 'payments-staging')).toBeDefined();
    const deletes = upstream.received({ method: 'DELETE' });
    expect(deletes).toHaveLength(1);
    expect(deletes[0]!.query.get('dryRun')).toBe('All');
    // Everything was read with the cluster's credentials as the gateway itself; only the dry run
    // went as the agent the approved request would run as. Secrets were asked for metadata only.
    expect(upstream.requests.every((request) => request.bearerToken === 'cluster-token')).toBe(true);
    const reads = upstream.received({ method: 'GET' });
    expect(reads.length).toBeGreaterThan(10);
    expect(reads.filter((request) => request.headers['impersonate-user'] !== undefined)).toEqual([]);
    expect(deletes[0]!.headers['impersonate-user']).toBe('gatehouse:agent:a1');
    // kubectl's DeleteOptions body carries the dry run: the API server reads it instead of the query.
    expect(JSON.parse(deletes[0]!.body.toString())).toMatchObject({
      propagationPolicy: 'Background',
      dryRun: ['All'],
    });
    const secrets = upstream.received({ path: '/api/v1/namespaces/payments-staging/secrets' });
    expect(secrets).toHaveLength(1);
    expect(secrets[0]!.headers.accept).toMatch(
      /^application\/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1/,
    );
    expect(secrets[0]!.query.get('limit')).toBe('500');
    expect(JSON.stringify(result)).not.toContain(SECRET_DATA);
  });

  it('says when a namespace is empty, or does not exist (and the dry run says why it would fail)', async () => {
    put({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'scratch', creationTimestamp: THREE_DAYS_AGO },
    });
    const scratch = upstream.store.find('namespaces', undefined, 'scratch')?.metadata;
    expect(await preview('DELETE', '/api/v1/namespaces/scratch')).toMatchObject({
      // Pinned: uid and resourceVersion, and what it holds, checked again right before the delete is sent.
      pin: {
        kind: 'namespace',
        name: 'scratch',
        uid: scratch?.uid,
        resourceVersion: scratch?.resourceVersion,
        contents: { workloads: 0, pods: 0, pvcs: 0 },
      },
      summary:
        'Would delete namespace scratch (age 3d); it holds no workloads, pods, services, volumes, configmaps or secrets',
    });
    const missing = await preview('DELETE', '/api/v1/namespaces/nope');
    expect(missing).toMatchObject({ status: 'ready', summary: 'Namespace nope does not exist' });
    expect(missing).toMatchObject({
      dryRun: { outcome: 'would-fail', message: expect.stringContaining('not found') },
    });
  });
});

describe('workloads', () => {
  beforeEach(() => {
    put({
      ...deployment({ name: 'web', namespace: 'prod' }, 3),
      metadata: { name: 'web', namespace: 'prod', creationTimestamp: THREE_DAYS_AGO, labels: { app: 'web' } },
    });
    put({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'prod' },
      spec: { selector: { app: 'web' } },
    });
    put({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web-canary', namespace: 'prod' },
      spec: { selector: { app: 'web' } },
    });
    put({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'api', namespace: 'prod' },
      spec: { selector: { app: 'api' } },
    });
    put({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'external', namespace: 'prod' }, spec: {} });
    put({
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'web-pdb', namespace: 'prod' },
      spec: { selector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['web', 'www'] }] } },
    });
    put({
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'api-pdb', namespace: 'prod' },
      spec: { selector: { matchLabels: { app: 'api' } } },
    });
    put({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'web', namespace: 'prod' },
      spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' } },
    });
  });

  it('delete: replicas, ready, and the services, PDBs and HPAs that point at it', async () => {
    expect(await preview('DELETE', '/apis/apps/v1/namespaces/prod/deployments/web')).toMatchObject({
      status: 'ready',
      summary:
        'Would delete Deployment web (age 3d): now 3 replicas, 3 ready; selected by services web, web-canary; PDB web-pdb; HPA web',
      dryRun: { outcome: 'would-succeed' },
    });
    expect(upstream.store.find('deployments.apps', 'prod', 'web')).toBeDefined();
  });

  it('scale to zero through the scale subresource', async () => {
    const result = await preview('PATCH', '/apis/apps/v1/namespaces/prod/deployments/web/scale', {
      spec: { replicas: 0 },
    });
    expect(result).toMatchObject({
      summary:
        'Would scale Deployment web (age 3d) to 0: now 3 replicas, 3 ready; selected by services web, web-canary; PDB web-pdb; HPA web',
      dryRun: { outcome: 'would-succeed' },
    });
    expect(upstream.store.find('deployments.apps', 'prod', 'web')?.spec).toMatchObject({ replicas: 3 });
  });

  it('says when nothing points at it', async () => {
    put(deployment({ name: 'lonely', namespace: 'prod' }, 1));
    expect(await preview('DELETE', '/apis/apps/v1/namespaces/prod/deployments/lonely')).toMatchObject({
      summary: expect.stringMatching(/now 1 replica, 1 ready; no service, PDB or HPA points at it$/),
    });
  });
});

describe('single objects, sessions and collections', () => {
  it('delete of one object: kind, age, owners; a Secret is read metadata-only', async () => {
    put({
      ...configMap({ name: 'web-config', namespace: 'prod' }),
      metadata: {
        name: 'web-config',
        namespace: 'prod',
        creationTimestamp: THREE_DAYS_AGO,
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'u1', controller: true },
        ],
      },
    });
    expect(await preview('DELETE', '/api/v1/namespaces/prod/configmaps/web-config')).toMatchObject({
      summary:
        'Would delete configmap web-config in namespace prod (age 3d); owned by Deployment web (Deployment web may recreate it)',
      dryRun: { outcome: 'would-succeed' },
    });
    put({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'db', namespace: 'prod' },
      data: { password: SECRET_DATA },
    });
    const secret = await preview('DELETE', '/api/v1/namespaces/prod/secrets/db');
    expect(secret).toMatchObject({
      summary: expect.stringMatching(
        /^Would delete secret db in namespace prod \(age \d+s\); owned by nothing$/,
      ),
    });
    expect(
      upstream.received({ path: '/api/v1/namespaces/prod/secrets/db', method: 'GET' })[0]!.headers.accept,
    ).toMatch(/^application\/json;as=PartialObjectMetadata;/);
    expect(JSON.stringify(secret)).not.toContain(SECRET_DATA);
  });

  it('exec: containers and images, node, owner workload through its ReplicaSet, service account; no dry run', async () => {
    put({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'api-0',
        namespace: 'prod',
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'api-7d9f', uid: 'u2', controller: true },
        ],
      },
      spec: {
        nodeName: 'node-a',
        serviceAccountName: 'api',
        containers: [
          { name: 'app', image: 'registry/api:1.4.2' },
          { name: 'proxy', image: 'envoy:1.30' },
        ],
      },
      status: { phase: 'Running' },
    });
    put({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: 'api-7d9f',
        namespace: 'prod',
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: 'Deployment', name: 'api', uid: 'u3', controller: true },
        ],
      },
      spec: {},
    });
    const result = await preview(
      'GET',
      '/api/v1/namespaces/prod/pods/api-0/exec?command=sh&container=app&stdin=true&tty=true',
    );
    expect(result).toEqual({
      status: 'ready',
      summary:
        'exec into container app of pod api-0 (Running): containers app (registry/api:1.4.2), proxy (envoy:1.30); ' +
        'node node-a; owned by Deployment api (via ReplicaSet api-7d9f); service account api',
      dryRun: undefined,
      // The pod as read, pinned: its uid is checked again right before the session starts.
      pin: {
        kind: 'pod',
        name: 'api-0',
        namespace: 'prod',
        uid: upstream.store.find('pods', 'prod', 'api-0')?.metadata.uid,
        resourceVersion: upstream.store.find('pods', 'prod', 'api-0')?.metadata.resourceVersion,
        contents: undefined,
      },
      at: NOW,
      durationMs: 0,
    });
    expect(upstream.received({ method: 'POST' })).toEqual([]);
    expect(upstream.received({ path: /\/exec$/ })).toEqual([]);
  });

  it('deletecollection: how many match, and the first few names', async () => {
    for (let i = 0; i < 7; i++) put(pod({ name: `web-${i}`, namespace: 'prod', labels: { app: 'web' } }));
    put(pod({ name: 'api-0', namespace: 'prod', labels: { app: 'api' } }));
    expect(await preview('DELETE', '/api/v1/namespaces/prod/pods?labelSelector=app%3Dweb')).toMatchObject({
      summary:
        'Would delete 7 pods matching app=web in namespace prod: web-0, web-1, web-2, web-3, web-4 and 2 more',
      dryRun: { outcome: 'would-succeed' },
    });
    expect(upstream.store.find('pods', 'prod', 'web-0')).toBeDefined();
  });

  it('no dry run outside the API server’s own groups: an aggregated API might not honour it', async () => {
    const result = await preview('DELETE', '/apis/metrics.example.com/v1/namespaces/prod/widgets/w1');
    expect(result).toMatchObject({ status: 'ready', dryRun: undefined });
    expect(upstream.received({ method: 'DELETE' })).toEqual([]);
  });

  it('nothing to preview for reads and non-resource paths', async () => {
    expect(await preview('GET', '/api/v1/namespaces/prod/pods')).toBeUndefined();
    expect(await preview('POST', '/logs/kube.log')).toBeUndefined();
    expect(upstream.requests).toEqual([]);
  });
});

describe('a slow or refusing cluster', () => {
  it('a hanging list gives "unavailable" at the time limit', async () => {
    seedNamespace('payments-staging');
    upstream.intercept({ path: /\/secrets$/ }, { hang: true });
    const result = await preview('DELETE', '/api/v1/namespaces/payments-staging', undefined, 300);
    expect(result).toMatchObject({
      status: 'unavailable',
      reason: 'cluster prod did not answer within 300ms',
    });
  });

  it('a list RBAC refuses the gateway becomes a named gap; a refused namespace read, "unavailable"', async () => {
    seedNamespace('payments-staging');
    const stop = upstream.intercept({ path: /\/secrets$/ }, { respond: { status: 403 } });
    expect(await preview('DELETE', '/api/v1/namespaces/payments-staging')).toMatchObject({
      status: 'ready',
      summary: expect.stringMatching(
        /, 1 configmap, 1 job, 1 cronjob; not readable with the gateway's credentials: secrets$/,
      ),
    });
    stop();
    upstream.intercept(
      { path: '/api/v1/namespaces/payments-staging', method: 'GET' },
      { respond: { status: 403 } },
    );
    expect(await preview('DELETE', '/api/v1/namespaces/payments-staging')).toMatchObject({
      status: 'unavailable',
      reason: expect.stringMatching(
        /^cluster prod answered 403 to GET \/api\/v1\/namespaces\/payments-staging: /,
      ),
    });
  });

  it('a workload whose PDBs the gateway may not list says so', async () => {
    put(deployment({ name: 'web', namespace: 'prod' }, 2));
    upstream.intercept({ path: /poddisruptionbudgets$/ }, { respond: { status: 403 } });
    expect(await preview('DELETE', '/apis/apps/v1/namespaces/prod/deployments/web')).toMatchObject({
      summary: expect.stringMatching(
        /now 2 replicas, 2 ready; no service, PDB or HPA points at it; not readable with the gateway's credentials: PDBs$/,
      ),
    });
  });

  it('a preview needing more requests than gateway.previewMaxRequests is unavailable, and sends no more', async () => {
    seedNamespace('payments-staging');
    const before = upstream.requests.length;
    const result = await preview('DELETE', '/api/v1/namespaces/payments-staging', undefined, 10_000, 4);
    expect(result).toMatchObject({
      status: 'unavailable',
      reason: 'the preview needs more than 4 requests to the cluster (gateway.previewMaxRequests)',
    });
    expect(upstream.requests.length - before).toBeLessThanOrEqual(4);
  });

  it('an unreachable cluster gives "unavailable"', async () => {
    await upstream.close();
    const result = await preview('DELETE', '/api/v1/namespaces/payments-staging');
    expect(result).toMatchObject({
      status: 'unavailable',
      reason: expect.stringMatching(/^cannot read cluster prod: /),
    });
  });
});

describe('the per-cluster preview budget', () => {
  it('past gateway.previewConcurrency a new approval’s preview is skipped and says so, sending nothing', async () => {
    seedNamespace('payments-staging');
    const limits = createLimits({ ...LIMITS, previewConcurrency: 2 });
    // Two previews are reading cluster prod already.
    limits.previews.take('prod', 1);
    limits.previews.take('prod', 1);
    const stored: ApprovalPreview[] = [];
    const ctx = {
      previewTimeoutMs: 10_000,
      limits,
      clock: { now: () => NOW },
      audit: { record: () => undefined },
      approvals: { setPreview: async (_id: string, preview: ApprovalPreview) => stored.push(preview) },
      logger: pino({ level: 'silent' }),
    } as unknown as GatewayContext;
    const { request, kube } = held('DELETE', '/api/v1/namespaces/payments-staging');
    const before = upstream.requests.length;
    startPreview(
      {
        approvalId: 'ap1',
        action: parseAction(kube),
        request,
        upstream: cluster,
        dispatchUpstream: asAgent(),
      },
      ctx,
    );
    await waitUntil('the skipped preview', () => stored.length > 0);
    expect(stored[0]).toMatchObject({
      status: 'unavailable',
      reason: 'skipped: 2 previews were already reading cluster prod (gateway.previewConcurrency)',
    });
    expect(upstream.requests.length).toBe(before);
    // A slot given back lets the next one read.
    limits.previews.give('prod', 1);
    startPreview(
      {
        approvalId: 'ap2',
        action: parseAction(kube),
        request,
        upstream: cluster,
        dispatchUpstream: asAgent(),
      },
      ctx,
    );
    await waitUntil('the next preview', () => stored.length > 1);
    expect(stored[1]).toMatchObject({ status: 'ready' });
    expect(limits.previews.usedBy('prod')).toBe(1);
  });
});

describe('the change a write would make', () => {
  beforeEach(() => {
    seedNamespace('prod');
    put(deployment({ name: 'web', namespace: 'prod' }, 3));
  });

  it('a patch claiming a scale shows every field it changes, from the dry run; nothing stored', async () => {
    const result = await preview('PATCH', '/apis/apps/v1/namespaces/prod/deployments/web', {
      spec: {
        replicas: 0,
        template: { spec: { containers: [{ name: 'app', image: 'evil.example/miner', command: ['sh'] }] } },
      },
    });
    expect(result).toMatchObject({
      status: 'ready',
      dryRun: { outcome: 'would-succeed' },
      change: {
        kind: 'diff',
        changes: [
          { path: 'spec.replicas', op: 'change', before: '3', after: '0' },
          { path: 'spec.template.spec.containers[name=app].command', op: 'add', after: '["sh"]' },
          {
            path: 'spec.template.spec.containers[name=app].image',
            op: 'change',
            before: '"busybox:1.36"',
            after: '"evil.example/miner"',
          },
        ],
      },
    });
    expect(upstream.store.find('deployments.apps', 'prod', 'web')?.spec).toMatchObject({ replicas: 3 });
  });

  it("a Secret's change shows keys only: no value reaches the preview", async () => {
    put({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'db', namespace: 'prod' },
      data: { password: SECRET_DATA, user: 'YWRtaW4=' },
    });
    const fresh = Buffer.from('new-hunter3').toString('base64');
    const result = await preview('PATCH', '/api/v1/namespaces/prod/secrets/db', {
      data: { password: fresh, token: fresh },
    });
    expect(result).toMatchObject({
      change: {
        kind: 'diff',
        changes: [
          { path: 'data.password', op: 'change' },
          { path: 'data.token', op: 'add' },
        ],
      },
    });
    expect(JSON.stringify(result)).not.toContain(SECRET_DATA);
    expect(JSON.stringify(result)).not.toContain(fresh);
  });

  it('where no dry run is possible, the body is shown and why (a Secret body: keys only)', async () => {
    const widget = await preview('PATCH', '/apis/metrics.example.com/v1/namespaces/prod/widgets/w1', {
      spec: { size: 'huge' },
    });
    expect(widget).toMatchObject({
      status: 'ready',
      dryRun: undefined,
      change: {
        kind: 'body',
        reason: expect.stringContaining('aggregated API server'),
        text: '{"spec":{"size":"huge"}}',
      },
    });
    expect(upstream.received({ method: 'PATCH' })).toEqual([]);
    const refused = await preview('PATCH', '/api/v1/namespaces/prod/secrets/missing', {
      data: { password: SECRET_DATA },
    });
    expect(refused).toMatchObject({
      change: { kind: 'body', reason: expect.stringContaining('the dry run would fail') },
    });
    expect(refused?.status === 'ready' && refused.change?.kind === 'body' && refused.change.text).toBe(
      'a Secret: values are never shown; keys: data.password',
    );
  });
});
