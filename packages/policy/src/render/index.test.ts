import { describe, expect, it } from 'vitest';
import { parseAction } from '../parse/index.js';
import type { KubeRequest } from '../types.js';
import { renderCommand } from './index.js';

function render(method: string, url: string, headers: KubeRequest['headers'] = {}, body?: unknown): string {
  const [path = '', query = ''] = url.split('?');
  const bytes = body === undefined ? undefined : new TextEncoder().encode(JSON.stringify(body));
  return renderCommand(parseAction({ method, path, query, headers, body: bytes }));
}

const merge = { 'content-type': 'application/merge-patch+json' };

describe('renderCommand', () => {
  it.each([
    ['DELETE', '/api/v1/namespaces/payments-staging', 'kubectl delete namespace payments-staging'],
    [
      'GET',
      '/api/v1/namespaces/prod-api/pods/web-1/exec?command=sh&stdout=true',
      'kubectl exec -n prod-api web-1 -- sh',
    ],
    [
      'POST',
      '/api/v1/namespaces/prod-api/pods/web-1/exec?command=sh&command=-c&command=rm%20-rf%20%2Ftmp%2Fx&container=app&stdin=true&tty=true',
      "kubectl exec -it -n prod-api web-1 -c app -- sh -c 'rm -rf /tmp/x'",
    ],
    ['GET', '/api/v1/namespaces/x/pods', 'kubectl get pods -n x'],
    ['GET', '/api/v1/pods', 'kubectl get pods -A'],
    ['GET', '/api/v1/nodes', 'kubectl get nodes'],
    ['GET', '/api/v1/namespaces/x/pods?labelSelector=app%3Dweb', 'kubectl get pods -l app=web -n x'],
    ['GET', '/api/v1/namespaces/x/pods/web-1', 'kubectl get pod web-1 -n x'],
    ['GET', '/api/v1/namespaces/x/pods?watch=true', 'kubectl get pods -n x --watch'],
    [
      'GET',
      '/api/v1/namespaces/x/pods?fieldSelector=metadata.name%3Dweb-1&watch=true',
      'kubectl get pod web-1 -n x --watch',
    ],
    ['DELETE', '/api/v1/namespaces/x/pods', 'kubectl delete pods --all -n x'],
    ['DELETE', '/api/v1/namespaces/x/pods?labelSelector=app%3Dweb', 'kubectl delete pods -l app=web -n x'],
    [
      'DELETE',
      '/api/v1/namespaces/x/pods/web-1?dryRun=All',
      'kubectl delete pod web-1 -n x --dry-run=server',
    ],
    [
      'GET',
      '/api/v1/namespaces/x/pods/web-1/log?container=app&follow=true',
      'kubectl logs web-1 -n x -c app -f',
    ],
    [
      'GET',
      '/api/v1/namespaces/x/pods/web-1/attach?stdin=true&stdout=true&tty=true',
      'kubectl attach -it -n x web-1',
    ],
    [
      'POST',
      '/api/v1/namespaces/x/pods/web-1/portforward?ports=8080',
      'kubectl port-forward -n x pod/web-1 8080',
    ],
    [
      'GET',
      '/api/v1/namespaces/x/services/web/proxy/metrics',
      'kubectl get --raw /api/v1/namespaces/x/services/web/proxy/metrics',
    ],
    [
      'POST',
      '/api/v1/namespaces/x/pods/web-1/eviction',
      'kubectl create --raw /api/v1/namespaces/x/pods/web-1/eviction -f -',
    ],
    ['POST', '/apis/apps/v1/namespaces/x/deployments', 'kubectl create -f - -n x  # deployments'],
    [
      'GET',
      '/apis/cert-manager.io/v1/namespaces/x/certificates',
      'kubectl get certificates.cert-manager.io -n x',
    ],
    ['GET', '/version', 'kubectl get --raw /version'],
    ['OPTIONS', '/api/v1/pods', 'OPTIONS /api/v1/pods'],
  ])('%s %s', (method, url, expected) => {
    expect(render(method, url)).toBe(expected);
  });

  it('renders scale-subresource patches as kubectl scale', () => {
    const url = '/apis/apps/v1/namespaces/prod/deployments/web/scale';
    expect(render('PATCH', url, merge, { spec: { replicas: 0 } })).toBe(
      'kubectl scale deployment/web --replicas=0 -n prod',
    );
    expect(render('PUT', url, { 'content-type': 'application/json' }, { spec: { replicas: 3 } })).toBe(
      'kubectl scale deployment/web --replicas=3 -n prod',
    );
  });

  it('says what the API server stores for a replica count that is not an int32', () => {
    const url = '/apis/apps/v1/namespaces/prod/deployments/web';
    const strategic = { 'content-type': 'application/strategic-merge-patch+json' };
    expect(render('PATCH', url, strategic, { spec: { replicas: 4294967296 } })).toBe(
      'kubectl patch deployment web -n prod --type=strategic  # sets spec.replicas=4294967296  # not an int32: the API server stores spec.replicas=0',
    );
    expect(render('PATCH', url, strategic, { spec: { replicas: 4294967297 } })).toMatch(
      /stores spec.replicas=1$/,
    );
    expect(render('PATCH', url, strategic, { spec: { replicas: 0.5 } })).toMatch(/stores spec.replicas=0$/);
    expect(render('PATCH', url, strategic, { spec: { replicas: -4294967296 } })).toMatch(
      /stores spec.replicas=0$/,
    );
    expect(
      render(
        'PUT',
        `${url}/scale`,
        { 'content-type': 'application/json' },
        { spec: { replicas: 8589934592 } },
      ),
    ).toBe(
      'kubectl scale deployment/web --replicas=8589934592 -n prod  # not an int32: the API server refuses it here, and a strategic-merge or apply patch stores spec.replicas=0',
    );
    // Counts the API server keeps as written get no caveat.
    expect(render('PATCH', url, strategic, { spec: { replicas: 2147483647 } })).not.toMatch(/int32/);
    expect(render('PATCH', url, strategic, { spec: { replicas: 0 } })).not.toMatch(/int32/);
  });

  it('notes the replica count a workload patch sets, or that it could not be read', () => {
    const url = '/apis/apps/v1/namespaces/prod/deployments/web';
    expect(render('PATCH', url, merge, { spec: { replicas: 0 } })).toBe(
      'kubectl patch deployment web -n prod --type=merge  # sets spec.replicas=0',
    );
    expect(render('PATCH', url, merge)).toBe(
      'kubectl patch deployment web -n prod --type=merge  # body unreadable: may set spec.replicas=0',
    );
    expect(render('PATCH', url, { 'content-type': 'application/apply-patch+yaml' }, { spec: {} })).toBe(
      'kubectl apply --server-side -f - -n prod  # deployment/web',
    );
  });
});

describe('renderCommand on hand-built actions', () => {
  it('rebuilds the URL when the action carries none', () => {
    const command = renderCommand({
      kind: 'resource',
      verb: 'create',
      apiGroup: '',
      apiVersion: 'v1',
      resource: 'pods',
      namespace: 'x',
      name: 'web-1',
      subresource: 'eviction',
      dryRun: false,
      readOnly: false,
      scaleToZero: false,
    });
    expect(command).toBe('kubectl create --raw /api/v1/namespaces/x/pods/web-1/eviction -f -');
  });
});

describe('renderCommand on hostile unclassified requests', () => {
  it('escapes what is not printable ASCII and never cuts a long path', () => {
    const action = parseAction({ method: 'GET\n', path: '/x\n<!channel> ü', query: '', headers: {} });
    expect(renderCommand(action)).toBe('GET%0A /x%0A<!channel>%20%C3%BC');
    const path = `/${'a'.repeat(5000)}`;
    expect(renderCommand(parseAction({ method: 'GET', path, query: '', headers: {} }))).toBe(`GET ${path}`);
  });
});
