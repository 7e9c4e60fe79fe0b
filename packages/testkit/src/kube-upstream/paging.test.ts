import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { writeKubeconfig } from '../ca/index.js';
import { runKubectl } from '../processes/index.js';
import { type KubeUpstream, namespace, pod, startKubeUpstream } from './index.js';

interface NamespaceList {
  metadata: { resourceVersion: string; continue?: string; remainingItemCount?: number };
  items: { metadata: { name: string; labels?: Record<string, string> } }[];
}

describe('lists in pages (limit, continue), as the etcd3 store serves them', () => {
  let upstream: KubeUpstream;

  async function get(query: string): Promise<{ status: number; body: Record<string, unknown> }> {
    const answer = await fetch(`${upstream.url}/api/v1/namespaces?${query}`);
    return { status: answer.status, body: (await answer.json()) as Record<string, unknown> };
  }
  async function page(query: string): Promise<NamespaceList> {
    const { status, body } = await get(query);
    expect(status).toBe(200);
    return body as unknown as NamespaceList;
  }
  const names = (list: NamespaceList) => list.items.map((item) => item.metadata.name);
  const next = (list: NamespaceList) => `limit=2&continue=${encodeURIComponent(list.metadata.continue!)}`;

  beforeAll(async () => {
    upstream = await startKubeUpstream({ tls: false });
  });
  afterAll(() => upstream.close());
  beforeEach(() => {
    upstream.store.clear();
    upstream.reset();
    // With the seeded default, kube-public and kube-system: six namespaces, three pages of two.
    for (const name of ['payments', 'sandbox', 'zeta']) upstream.store.put(namespace(name, { team: name }));
  });

  it('pages in key order; every page reports the first page resourceVersion and shows that one snapshot', async () => {
    const first = await page('limit=2');
    const at = String(upstream.store.resourceVersion);
    expect(names(first)).toEqual(['default', 'kube-public']);
    expect(first.metadata).toMatchObject({ resourceVersion: at, remainingItemCount: 4 });
    // The token is opaque to clients, but it is the API server's: base64url JSON bound to the revision.
    expect(JSON.parse(Buffer.from(first.metadata.continue!, 'base64url').toString())).toEqual({
      v: 'meta.k8s.io/v1',
      rv: Number(at),
      start: 'kube-public\u0000',
    });

    upstream.store.put(namespace('payments', { team: 'changed' }));
    upstream.store.put(namespace('alpha'));
    upstream.store.remove('namespaces', undefined, 'zeta');
    const second = await page(next(first));
    expect(names(second)).toEqual(['kube-system', 'payments']);
    expect(second.items[1]!.metadata.labels).toEqual({ team: 'payments' });
    expect(second.metadata).toMatchObject({ resourceVersion: at, remainingItemCount: 2 });
    const last = await page(next(second));
    expect(names(last)).toEqual(['sandbox', 'zeta']);
    expect(last.metadata).toEqual({ resourceVersion: at });

    // A new list sees now.
    expect(names(await page('limit=10'))).toEqual([
      'alpha',
      'default',
      'kube-public',
      'kube-system',
      'payments',
      'sandbox',
    ]);
  });

  it('a continue token from a compacted revision is 410 Expired, with a token that goes on at the latest revision', async () => {
    const first = await page('limit=2');
    upstream.store.put(namespace('sandbox', { team: 'changed' }));
    upstream.store.compact();
    const expired = await get(next(first));
    expect(expired.status).toBe(410);
    expect(expired.body).toMatchObject({
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      reason: 'Expired',
      code: 410,
      message: expect.stringMatching(/^The provided continue parameter is too old to display a consistent/),
    });
    const inconsistent = (expired.body.metadata as { continue: string }).continue;
    expect(JSON.parse(Buffer.from(inconsistent, 'base64url').toString())).toEqual({
      v: 'meta.k8s.io/v1',
      rv: -1,
      start: 'kube-public\u0000',
    });
    const rest = await page(`continue=${encodeURIComponent(inconsistent)}`);
    expect(names(rest)).toEqual(['kube-system', 'payments', 'sandbox', 'zeta']);
    expect(rest.items[2]!.metadata.labels).toEqual({ team: 'changed' });
    expect(rest.metadata.resourceVersion).toBe(String(upstream.store.resourceVersion));
  });

  it('refuses a continue token with a resourceVersion, and a token it did not issue, with 400', async () => {
    const first = await page('limit=2');
    const withVersion = await get(`${next(first)}&resourceVersion=${first.metadata.resourceVersion}`);
    expect(withVersion).toMatchObject({
      status: 400,
      body: {
        reason: 'BadRequest',
        message: 'specifying resource version is not allowed when using continue',
      },
    });
    const forged = Buffer.from(
      JSON.stringify({ v: 'meta.k8s.io/v1', rv: 5, start: '../secrets/x' }),
    ).toString('base64url');
    expect(await get(`limit=2&continue=${forged}`)).toMatchObject({
      status: 400,
      body: { message: 'invalid continue token: continue key is not valid: ../secrets/x' },
    });
  });

  it('with a selector, fills each page with matches and gives no remainingItemCount', async () => {
    upstream.store.put(namespace('payments', { team: 'x' }));
    upstream.store.put(namespace('zeta', { team: 'x' }));
    const first = await page('limit=1&labelSelector=team%3Dx');
    expect(names(first)).toEqual(['payments']);
    expect(first.metadata.remainingItemCount).toBeUndefined();
    const rest = await page(
      `limit=1&labelSelector=team%3Dx&continue=${encodeURIComponent(first.metadata.continue!)}`,
    );
    expect(names(rest)).toEqual(['zeta']);
    expect(rest.metadata.continue).toBeUndefined();
  });

  it('serves kubectl get --chunk-size page by page', async () => {
    const secure = await startKubeUpstream();
    const kubeconfig = writeKubeconfig({
      server: secure.url,
      caPem: secure.caPem!,
      credentials: { token: 't' },
    });
    try {
      for (let i = 0; i < 5; i++) secure.store.put(pod({ name: `web-${i}`, namespace: 'prod' }));
      const result = await runKubectl(['get', 'pods', '-n', 'prod', '--chunk-size=2', '-o', 'name'], {
        kubeconfig: kubeconfig.path,
      });
      expect(result).toMatchObject({ code: 0 });
      expect(result.stdout.trim().split('\n')).toEqual([0, 1, 2, 3, 4].map((i) => `pod/web-${i}`));
      const lists = secure.received({ method: 'GET', path: '/api/v1/namespaces/prod/pods' });
      expect(lists.map((r) => r.query.get('limit'))).toEqual(['2', '2', '2']);
      expect(lists.map((r) => r.query.has('continue'))).toEqual([false, true, true]);
    } finally {
      await secure.close();
      kubeconfig.cleanup();
    }
  });
});
