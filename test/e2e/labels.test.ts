import { namespace, pod } from '@gatehouse/testkit/kube-upstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayRequest } from '../security/support.js';
import { type Stack, startStack } from '../stack/index.js';

/**
 * A label-based prod rule through the running gateway and the real kubectl: the gateway's namespace
 * cache (list + watch of the stand-in API server, with its own credentials) decides which deletes wait.
 */
describe('namespaceSelector through the running gateway and kubectl', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      policy: {
        default: 'allow',
        rules: [
          {
            name: 'prod-delete-by-label',
            match: {
              verbs: ['delete'],
              namespaceSelector: {
                matchExpressions: [{ key: 'env', operator: 'In', values: ['prod', 'production'] }],
              },
            },
            require: { group: 'sre-oncall', approvals: 1 },
          },
          {
            name: 'critical-objects',
            match: { verbs: ['delete'], objectSelector: { matchLabels: { tier: 'critical' } } },
            deny: { reason: 'critical objects are deleted by the platform team' },
          },
        ],
      },
    });
    stack.upstream.store.put(namespace('checkout', { env: 'prod' }));
    stack.upstream.store.put(namespace('scratch', { env: 'dev' }));
    stack.upstream.store.put(pod({ name: 'web-1', namespace: 'checkout' }));
    stack.upstream.store.put(pod({ name: 'web-1', namespace: 'scratch' }));
    stack.upstream.store.put(pod({ name: 'db-1', namespace: 'scratch', labels: { tier: 'critical' } }));
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const metric = async (pattern: RegExp) => {
    const answer = await gatewayRequest(stack, { method: 'GET', path: '/metrics', token: undefined });
    return Number(pattern.exec(answer.body)?.[1] ?? Number.NaN);
  };
  const held = () => metric(/^gatehouse_gateway_held_requests (\d+)/m);

  it('holds kubectl delete in the namespace labelled env=prod and not in the one labelled env=dev', async () => {
    await expect
      .poll(() =>
        metric(
          new RegExp(`^gatehouse_gateway_namespace_cache_synced\\{cluster="${stack.cluster}"\\} (\\d+)`, 'm'),
        ),
      )
      .toBe(1);
    // The namespaces were created after the gateway listed: the watch brought their labels.
    const dev = await stack
      .kubectl(['delete', 'pod', 'web-1', '-n', 'scratch', '--wait=false'])
      .result(30_000);
    expect(dev.code).toBe(0);
    expect(stack.upstream.store.find('pods', 'scratch', 'web-1')).toBeUndefined();

    const prod = stack.kubectl(['delete', 'pod', 'web-1', '-n', 'checkout', '--wait=false']);
    await expect.poll(held, { timeout: 30_000 }).toBe(1);
    expect(prod.running()).toBe(true);
    await prod.kill();
    expect(
      stack.upstream.requests.filter((r) => r.method === 'DELETE' && r.path.includes('/checkout/')),
    ).toEqual([]);
    expect(stack.upstream.store.find('pods', 'checkout', 'web-1')).toBeDefined();
    // The cache read namespaces as the gateway, never as the agent.
    const lists = stack.upstream.received({ method: 'GET', path: '/api/v1/namespaces' });
    expect(lists.length).toBeGreaterThan(0);
    expect(lists.every((r) => r.headers['impersonate-user'] === undefined)).toBe(true);
  });

  it('refuses kubectl delete of an object labelled tier=critical, read from the cluster as the gateway', async () => {
    const refused = await stack
      .kubectl(['delete', 'pod', 'db-1', '-n', 'scratch', '--wait=false'])
      .result(30_000);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('critical objects are deleted by the platform team');
    expect(stack.upstream.store.find('pods', 'scratch', 'db-1')).toBeDefined();
    const reads = stack.upstream.received({ method: 'GET', path: '/api/v1/namespaces/scratch/pods/db-1' });
    expect(reads.filter((r) => r.headers['impersonate-user'] === undefined).length).toBeGreaterThan(0);
    expect(stack.upstream.requests.filter((r) => r.method === 'DELETE' && r.path.endsWith('/db-1'))).toEqual(
      [],
    );
  });
});
