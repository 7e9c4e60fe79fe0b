import { compilePolicy, parseAction, type ResourceAction } from '@gatehouse/policy';
import { writeKubeconfig } from '@gatehouse/testkit/ca';
import { type KubeUpstream, namespace, pod, startKubeUpstream } from '@gatehouse/testkit/kube-upstream';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMetrics, type GatewayMetrics } from '../metrics/index.js';
import { type ClusterUpstream, createClusterUpstream } from '../upstream/index.js';
import { GatewayLabels, type GatewayLabelsOptions } from './index.js';

let upstream: KubeUpstream;
let cluster: ClusterUpstream;
let kubeconfig: ReturnType<typeof writeKubeconfig>;
let metrics: GatewayMetrics;
let labels: GatewayLabels | undefined;

beforeEach(async () => {
  upstream = await startKubeUpstream({ auth: { bearerToken: 'gateway-token' } });
  upstream.store.put(namespace('payments', { env: 'prod' }));
  upstream.store.put(namespace('sandbox', { env: 'dev' }));
  kubeconfig = writeKubeconfig({
    server: upstream.url,
    caPem: upstream.caPem!,
    credentials: { token: 'gateway-token' },
  });
  cluster = await createClusterUpstream({
    name: 'prod',
    type: 'kubeconfig',
    kubeconfig: kubeconfig.path,
    impersonate: true,
  });
  metrics = createMetrics();
});
afterEach(async () => {
  await labels?.stop();
  labels = undefined;
  // Stopped means no socket left: the API server sees every watch closed.
  await expect.poll(() => upstream.openWatches).toBe(0);
  await cluster.close();
  await upstream.close();
  kubeconfig.cleanup();
});

function start(options: Partial<GatewayLabelsOptions> = {}): GatewayLabels {
  labels = new GatewayLabels({
    needed: { namespaces: true, objects: true },
    clusters: new Map([['prod', cluster]]),
    clock: { now: () => Date.now() },
    metrics,
    logger: pino({ level: 'silent' }),
    namespaceCache: { backoffMs: 20, maxBackoffMs: 100 },
    objects: { timeoutMs: 500 },
    ...options,
  });
  labels.start();
  return labels;
}

const action = (method: string, path: string, query = '') =>
  parseAction({ method, path, query, headers: {} }) as ResourceAction;
const deletePod = (ns: string) => action('DELETE', `/api/v1/namespaces/${ns}/pods/web-1`);

async function namespaceLabels(ns: string) {
  return (await labels!.lookup(cluster, deletePod(ns))).namespaceLabels;
}

async function metric(name: string): Promise<number | undefined> {
  const found = (await metrics.registry.getSingleMetric(name)?.get())?.values.find(
    (v) => v.labels.cluster === 'prod',
  );
  return found?.value;
}

const watches = () =>
  upstream.received({ method: 'GET', path: '/api/v1/namespaces', query: { watch: 'true' } });

describe('the namespace cache', () => {
  it('lists with the gateway credentials, then watches from the list resourceVersion with bookmarks, and sees label changes', async () => {
    start();
    await expect.poll(() => namespaceLabels('payments')).toEqual({ labels: { env: 'prod' } });
    expect(await metric('gatehouse_gateway_namespace_cache_synced')).toBe(1);
    const [list] = upstream.received({ method: 'GET', path: '/api/v1/namespaces' });
    expect(list!.query.get('watch')).toBeNull();
    expect(list!.headers.authorization).toBe('Bearer gateway-token');
    expect(list!.headers['impersonate-user']).toBeUndefined();
    await expect.poll(() => watches().length).toBe(1);
    expect(watches()[0]!.query.get('allowWatchBookmarks')).toBe('true');
    // Nothing changed since the list, so the list's resourceVersion is the store's.
    expect(watches()[0]!.query.get('resourceVersion')).toBe(String(upstream.store.resourceVersion));

    upstream.store.put(namespace('payments', { env: 'dev' }));
    await expect.poll(() => namespaceLabels('payments')).toEqual({ labels: { env: 'dev' } });
    upstream.store.put(namespace('fresh', { team: 'a' }));
    await expect.poll(() => namespaceLabels('fresh')).toEqual({ labels: { team: 'a' } });
    expect((await labels!.lookup(cluster, deletePod('fresh'))).namespaceObject).toEqual({
      metadata: { name: 'fresh', labels: { team: 'a' }, annotations: {} },
    });
  });

  it('a dropped watch resumes from the last resourceVersion seen, without listing again', async () => {
    start();
    await expect.poll(() => watches().length).toBe(1);
    upstream.store.put(namespace('payments', { env: 'staging' }));
    await expect.poll(() => namespaceLabels('payments')).toEqual({ labels: { env: 'staging' } });
    const seen = String(upstream.store.resourceVersion);
    upstream.endWatches();
    await expect.poll(() => watches().length).toBe(2);
    expect(watches()[1]!.query.get('resourceVersion')).toBe(seen);
    expect(
      upstream.received({ method: 'GET', path: '/api/v1/namespaces' }).filter((r) => !r.query.has('watch')),
    ).toHaveLength(1);
    expect(await metric('gatehouse_gateway_namespace_cache_relists_total')).toBeUndefined();
  });

  it('an ERROR event with code 410 in the watch (too old resourceVersion) lists again', async () => {
    start();
    await expect.poll(() => watches().length).toBe(1);
    // While the watch cannot reconnect, more changes than the API server keeps go by.
    const removeIntercept = upstream.intercept(
      { path: '/api/v1/namespaces', query: { watch: 'true' } },
      { destroy: true },
    );
    upstream.endWatches();
    await expect.poll(() => watches().length).toBeGreaterThan(1);
    for (let i = 0; i < 1001; i++) upstream.store.put(namespace('churn', { n: String(i) }));
    upstream.store.put(namespace('payments', { env: 'production' }));
    removeIntercept();
    await expect.poll(() => metric('gatehouse_gateway_namespace_cache_relists_total')).toBe(1);
    await expect.poll(() => namespaceLabels('payments')).toEqual({ labels: { env: 'production' } });
  });

  it('an HTTP 410 to the watch lists again', async () => {
    start();
    await expect.poll(() => watches().length).toBe(1);
    upstream.intercept(
      { path: '/api/v1/namespaces', query: { watch: 'true' } },
      { respond: { status: 410 } },
      { times: 1 },
    );
    upstream.endWatches();
    await expect.poll(() => metric('gatehouse_gateway_namespace_cache_relists_total')).toBe(1);
    await expect.poll(() => watches().filter((w) => w.status === 200).length).toBe(2);
  });

  describe('in pages', () => {
    // default, kube-public, kube-system, payments, sandbox: three pages of two.
    const paged = { backoffMs: 20, maxBackoffMs: 100, listPageSize: 2 };
    const lists = () =>
      upstream.received({ method: 'GET', path: '/api/v1/namespaces' }).filter((r) => !r.query.has('watch'));
    const continued = { path: '/api/v1/namespaces', query: { continue: /./ } };

    it('follows continue to the last page, and watches from the resourceVersion every page carries: a change between pages arrives by the watch', async () => {
      const listedAt = String(upstream.store.resourceVersion);
      upstream.intercept(
        continued,
        { before: () => void upstream.store.put(namespace('payments', { env: 'changed' })) },
        { times: 1 },
      );
      start({ namespaceCache: paged });
      await expect.poll(() => watches().length).toBe(1);
      expect(lists().map((r) => [r.query.get('limit'), r.query.has('continue')])).toEqual([
        ['2', false],
        ['2', true],
        ['2', true],
      ]);
      // Page two was read at the first page's revision, so it showed payments as it was then.
      expect(watches()[0]!.query.get('resourceVersion')).toBe(listedAt);
      await expect.poll(() => namespaceLabels('payments')).toEqual({ labels: { env: 'changed' } });
      expect(await namespaceLabels('sandbox')).toEqual({ labels: { env: 'dev' } });
      expect(await metric('gatehouse_gateway_namespace_cache_relists_total')).toBeUndefined();
    });

    it("a continue token that expired (410 Expired) is followed by one list without pages, as client-go's pager falls back", async () => {
      // etcd compacts the revision the token is bound to: a change after the first page, then compaction.
      const compact = () => {
        upstream.store.put(namespace('fresh', { team: 'a' }));
        upstream.store.compact();
      };
      upstream.intercept(continued, { before: compact }, { times: 1 });
      start({ namespaceCache: paged });
      await expect.poll(() => watches().length).toBe(1);
      expect(lists().map((r) => [r.query.get('limit'), r.query.has('continue'), r.status])).toEqual([
        ['2', false, 200],
        ['2', true, 410],
        [null, false, 200],
      ]);
      expect(await namespaceLabels('fresh')).toEqual({ labels: { team: 'a' } });
      expect(await namespaceLabels('sandbox')).toEqual({ labels: { env: 'dev' } });
      expect(await metric('gatehouse_gateway_namespace_cache_relists_total')).toBe(1);
      expect(watches()[0]!.query.get('resourceVersion')).toBe(String(upstream.store.resourceVersion));
    });

    it('a page failing part-way leaves a first sync unsynced (fail closed) and a relist on the set it had', async () => {
      const removeFailure = upstream.intercept(continued, { respond: { status: 503 } });
      start({ namespaceCache: paged });
      await expect.poll(() => upstream.received({ ...continued, method: 'GET' }).length).toBeGreaterThan(1);
      expect(await namespaceLabels('default')).toEqual({
        unknown: 'the namespace cache of cluster prod has not synced',
      });
      expect(await metric('gatehouse_gateway_namespace_cache_synced')).toBe(0);
      removeFailure();
      await expect.poll(() => namespaceLabels('sandbox')).toEqual({ labels: { env: 'dev' } });

      // The watch is told its resourceVersion is gone while payments (page two) and default (page
      // one) change and sandbox (page three) goes; the relist then fails on page two.
      const failed = () => upstream.received(continued).filter((r) => r.status === 503).length;
      const failedBefore = failed();
      upstream.intercept(
        { path: '/api/v1/namespaces', query: { watch: 'true' } },
        {
          handle: (_req, res) => {
            upstream.store.put(namespace('default', { env: 'changed' }));
            upstream.store.put(namespace('payments', { env: 'changed' }));
            upstream.store.remove('namespaces', undefined, 'sandbox');
            const expired = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: 410 };
            res.writeHead(410, { 'content-type': 'application/json' }).end(JSON.stringify(expired));
          },
        },
        { times: 1 },
      );
      const removeRelistFailure = upstream.intercept(continued, { respond: { status: 503 } });
      upstream.endWatches();
      await expect.poll(failed).toBeGreaterThan(failedBefore);
      expect(await namespaceLabels('default')).toEqual({ labels: {} });
      expect(await namespaceLabels('payments')).toEqual({ labels: { env: 'prod' } });
      expect(await namespaceLabels('sandbox')).toEqual({ labels: { env: 'dev' } });
      removeRelistFailure();
      await expect.poll(() => namespaceLabels('payments')).toEqual({ labels: { env: 'changed' } });
      expect(await namespaceLabels('default')).toEqual({ labels: { env: 'changed' } });
      expect(await namespaceLabels('sandbox')).toEqual({
        unknown: 'namespace sandbox is not in the namespace cache of cluster prod',
      });
    });

    it('a list page that never answers is given up after the staleness bound and listed again', async () => {
      upstream.intercept(continued, { hang: true }, { times: 1 });
      start({ namespaceCache: { ...paged, staleAfterMs: 300 } });
      await expect.poll(() => namespaceLabels('sandbox')).toEqual({ labels: { env: 'dev' } });
      expect(lists().filter((r) => !r.query.has('continue'))).toHaveLength(2);
    });
  });

  it('until it has synced every namespace is unknown: a selector require rule holds, a selector allow rule does not allow', async () => {
    upstream.intercept({ path: '/api/v1/namespaces' }, { respond: { status: 503 } });
    start();
    await expect.poll(() => upstream.received({ path: '/api/v1/namespaces' }).length).toBeGreaterThan(1);
    const context = await labels!.lookup(cluster, deletePod('sandbox'));
    expect(context.namespaceLabels).toEqual({
      unknown: 'the namespace cache of cluster prod has not synced',
    });
    expect(await metric('gatehouse_gateway_namespace_cache_synced')).toBe(0);
    const policy = compilePolicy({
      default: 'deny',
      rules: [
        {
          name: 'prod-deletes',
          match: {
            verbs: ['delete'],
            namespaceSelector: { matchExpressions: [{ key: 'env', operator: 'In', values: ['prod'] }] },
          },
          require: { group: 'sre', approvals: 1 },
        },
        { name: 'dev-free', match: { namespaceSelector: { matchLabels: { env: 'dev' } } }, allow: {} },
      ],
    });
    const decide = (a: ResourceAction) =>
      policy.decide({ cluster: 'prod', agent: 'a', action: a, ...context });
    expect(decide(deletePod('sandbox'))).toMatchObject({ effect: 'require', rule: 'prod-deletes' });
    expect(decide(action('GET', '/api/v1/namespaces/sandbox/pods/web-1')).rule).not.toBe('dev-free');
  });

  it('labels older than the staleness bound are unknown', async () => {
    let now = Date.now();
    start({ clock: { now: () => now }, namespaceCache: { staleAfterMs: 60_000, backoffMs: 20 } });
    await expect.poll(() => namespaceLabels('payments')).toEqual({ labels: { env: 'prod' } });
    now += 61_000;
    expect(await namespaceLabels('payments')).toEqual({
      unknown: 'the namespace cache of cluster prod is stale: nothing heard from the watch for 61 s',
    });
    expect(await namespaceLabels('nowhere')).toHaveProperty('unknown');
  });

  it('a watch silent beyond the staleness bound is abandoned and resumed', async () => {
    upstream.intercept(
      { path: '/api/v1/namespaces', query: { watch: 'true' } },
      { hang: true },
      { times: 1 },
    );
    start({ namespaceCache: { staleAfterMs: 300, backoffMs: 20 } });
    await expect.poll(() => watches().length).toBe(2);
    upstream.store.put(namespace('payments', { env: 'qa' }));
    await expect.poll(() => namespaceLabels('payments')).toEqual({ labels: { env: 'qa' } });
  });

  it('a namespace the cache does not hold is unknown', async () => {
    start();
    await expect.poll(() => namespaceLabels('payments')).toEqual({ labels: { env: 'prod' } });
    expect(await namespaceLabels('nowhere')).toEqual({
      unknown: 'namespace nowhere is not in the namespace cache of cluster prod',
    });
  });

  it('no rule reads namespace labels: nothing is listed or watched', async () => {
    start({ needed: { namespaces: false, objects: false } });
    expect(labels!.active).toBe(false);
    expect(await labels!.lookup(cluster, deletePod('payments'))).toEqual({});
    expect(upstream.received({ path: '/api/v1/namespaces' })).toHaveLength(0);
  });
});

describe('object labels', () => {
  beforeEach(() => {
    upstream.store.put(pod({ name: 'web-1', namespace: 'payments', labels: { tier: 'critical' } }));
  });

  it('one GET of the target object (for a subresource: its object) with the gateway credentials gives its labels and oldObject', async () => {
    start({ needed: { namespaces: false, objects: true } });
    const exec = action('POST', '/api/v1/namespaces/payments/pods/web-1/exec', 'command=sh&stdin=true');
    const context = await labels!.lookup(cluster, exec);
    expect(context.objectLabels).toEqual({ labels: { tier: 'critical' } });
    expect(context.oldObject).toMatchObject({
      kind: 'Pod',
      metadata: { name: 'web-1', labels: { tier: 'critical' } },
    });
    const gets = upstream.received({ method: 'GET', path: '/api/v1/namespaces/payments/pods/web-1' });
    expect(gets).toHaveLength(1);
    expect(gets[0]!.headers['impersonate-user']).toBeUndefined();
  });

  it('reads no object for a read or an unnamed request', async () => {
    start({ needed: { namespaces: false, objects: true } });
    expect(await labels!.lookup(cluster, action('GET', '/api/v1/namespaces/payments/pods/web-1'))).toEqual(
      {},
    );
    expect(await labels!.lookup(cluster, action('POST', '/api/v1/namespaces/payments/pods'))).toEqual({});
    expect(upstream.received({ path: /pods/ })).toHaveLength(0);
  });

  it('a failing, slow or missing GET leaves the labels unknown (fail closed)', async () => {
    start({ needed: { namespaces: false, objects: true } });
    const path = '/api/v1/namespaces/payments/pods/web-1';
    const remove = upstream.intercept({ method: 'GET', path }, { respond: { status: 500 } });
    expect((await labels!.lookup(cluster, deletePod('payments'))).objectLabels).toEqual({
      unknown: expect.stringMatching(
        /^GET \/api\/v1\/namespaces\/payments\/pods\/web-1 failed: cluster prod answered 500/,
      ),
    });
    remove();
    upstream.intercept({ method: 'GET', path }, { hang: true });
    expect((await labels!.lookup(cluster, deletePod('payments'))).objectLabels).toEqual({
      unknown: `GET ${path} failed: no answer in 500 ms`,
    });
    expect((await labels!.lookup(cluster, deletePod('sandbox'))).objectLabels).toEqual({
      unknown: 'GET /api/v1/namespaces/sandbox/pods/web-1 answered 404',
    });
  });
});
