import { request } from 'node:https';
import { afterEach, describe, expect, it } from 'vitest';
import { issueClientCert, issueServerCert, sharedTestCa, writeKubeconfig } from '../ca/index.js';
import { runKubectl } from '../processes/index.js';
import { type KubeUpstream, pod, startKubeUpstream } from './index.js';

describe('kube-upstream credentials and protocol edges', () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  async function start(options: Parameters<typeof startKubeUpstream>[0]): Promise<KubeUpstream> {
    const upstream = await startKubeUpstream(options);
    cleanups.push(() => upstream.close());
    return upstream;
  }
  function kubeconfigFor(server: string, credentials: Parameters<typeof writeKubeconfig>[0]['credentials']) {
    const written = writeKubeconfig({ server, caPem: sharedTestCa().certPem, credentials });
    cleanups.push(written.cleanup);
    return written.path;
  }

  it('requires and records a client certificate in mTLS mode', async () => {
    const ca = sharedTestCa();
    const server = issueServerCert(ca);
    const upstream = await start({
      tls: { cert: server.certPem, key: server.keyPem, ca: ca.certPem, requireClientCert: true },
      auth: { clientCert: (subject) => subject?.organizations.includes('gatehouse') ?? false },
    });
    const gateway = issueClientCert(ca, { commonName: 'gatehouse-gw', organization: 'gatehouse' });
    const stranger = issueClientCert(ca, { commonName: 'someone', organization: 'others' });

    const ok = await runKubectl(['get', 'ns', '-o', 'name'], {
      kubeconfig: kubeconfigFor(upstream.url, {
        clientCertPem: gateway.certPem,
        clientKeyPem: gateway.keyPem,
      }),
    });
    expect(ok).toMatchObject({ code: 0, stdout: expect.stringContaining('namespace/default') });
    expect(upstream.requests[0]?.clientCert).toEqual({
      commonName: 'gatehouse-gw',
      organizations: ['gatehouse'],
    });

    upstream.reset();
    const refused = await runKubectl(['get', 'ns'], {
      kubeconfig: kubeconfigFor(upstream.url, {
        clientCertPem: stranger.certPem,
        clientKeyPem: stranger.keyPem,
      }),
    });
    expect(refused.code).toBe(1);
    expect(upstream.requests.every((r) => r.status === 401)).toBe(true);

    upstream.reset();
    const none = await runKubectl(['get', 'ns'], { kubeconfig: kubeconfigFor(upstream.url, { token: 'x' }) });
    expect(none.code).toBe(1);
    expect(upstream.requests).toHaveLength(0);
  });

  it('checks bearer tokens with a predicate and records impersonation headers', async () => {
    const upstream = await start({
      auth: { bearerToken: (token) => token?.startsWith('k8s-aws-v1.') ?? false },
    });
    const result = await runKubectl(['get', 'pods', '--as', 'alice', '--as-group', 'devs'], {
      kubeconfig: kubeconfigFor(upstream.url, { token: 'k8s-aws-v1.abc' }),
    });
    expect(result.code).toBe(0);
    const list = upstream.received({ path: '/api/v1/namespaces/default/pods' })[0];
    expect(list?.headers['impersonate-user']).toBe('alice');
    expect(list?.headers['impersonate-group']).toBe('devs');
    expect(list?.bearerToken).toBe('k8s-aws-v1.abc');
    const refused = await runKubectl(['get', 'pods'], {
      kubeconfig: kubeconfigFor(upstream.url, { token: 'plain' }),
    });
    expect(refused.code).toBe(1);
  });

  it('makes an exec upgrade fail when an intercept answers it', async () => {
    const upstream = await start({});
    upstream.store.put(pod({ name: 'web-1' }));
    upstream.intercept({ path: /\/exec$/ }, { respond: { status: 403 } });
    const result = await runKubectl(['exec', 'web-1', '--', 'echo', 'hi'], {
      kubeconfig: kubeconfigFor(upstream.url, { token: 't' }),
    });
    expect(result.code).toBe(1);
    expect(upstream.execSessions).toHaveLength(0);
    // kubectl retries a refused WebSocket upgrade over SPDY: both attempts are recorded.
    expect(upstream.received({ path: /\/exec$/ }).map((r) => r.method)).toEqual(['GET', 'POST']);
  });

  it('gets no bearer token from kubectl over plain HTTP', async () => {
    const upstream = await start({ tls: false });
    const written = writeKubeconfig({ server: upstream.url, caPem: '', credentials: { token: 'secret' } });
    cleanups.push(written.cleanup);
    expect(upstream.url.startsWith('http://')).toBe(true);
    expect(upstream.caPem).toBeUndefined();
    await runKubectl(['get', 'pods'], { kubeconfig: written.path });
    expect(upstream.requests.length).toBeGreaterThan(0);
    expect(upstream.requests.every((r) => r.bearerToken === undefined)).toBe(true);
  });
});
