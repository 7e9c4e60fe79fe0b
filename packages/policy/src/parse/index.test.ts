import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { KubeRequest, ResourceAction } from '../types.js';
import { parseAction } from './index.js';

function req(
  method: string,
  url: string,
  init: { headers?: KubeRequest['headers']; body?: unknown } = {},
): KubeRequest {
  const [path = '', query = ''] = url.split('?');
  const body =
    init.body === undefined
      ? undefined
      : init.body instanceof Uint8Array
        ? init.body
        : new TextEncoder().encode(typeof init.body === 'string' ? init.body : JSON.stringify(init.body));
  return { method, path, query, headers: init.headers ?? {}, body };
}

function resource(r: KubeRequest): ResourceAction {
  const action = parseAction(r);
  if (action.kind !== 'resource')
    throw new Error(`expected a resource action, got ${JSON.stringify(action)}`);
  return action;
}

describe('parseAction: the URL space', () => {
  it.each([
    [
      'GET',
      '/api/v1/namespaces/prod/pods',
      { verb: 'list', apiGroup: '', resource: 'pods', namespace: 'prod' },
    ],
    ['GET', '/api/v1/pods', { verb: 'list', resource: 'pods', namespace: undefined }],
    ['GET', '/api/v1/namespaces/prod/pods/web-1', { verb: 'get', name: 'web-1' }],
    ['HEAD', '/api/v1/namespaces/prod/pods/web-1', { verb: 'get', name: 'web-1' }],
    ['GET', '/api/v1/namespaces/prod/pods?watch=true', { verb: 'watch' }],
    ['GET', '/api/v1/namespaces/prod/pods?watch=1', { verb: 'watch' }],
    ['GET', '/api/v1/namespaces/prod/pods?watch=false', { verb: 'list' }],
    // The API server's reading (requestinfo.go): the first value only; all but 0/false (any case) is a watch.
    ['GET', '/api/v1/namespaces/prod/pods?watch=', { verb: 'watch' }],
    ['GET', '/api/v1/namespaces/prod/pods?watch=yes', { verb: 'watch' }],
    ['GET', '/api/v1/namespaces/prod/pods?watch=FALSE', { verb: 'list' }],
    ['GET', '/api/v1/namespaces/prod/pods?watch=0&watch=true', { verb: 'list' }],
    ['GET', '/api/v1/namespaces/prod/pods?watch=false&watch=true', { verb: 'list' }],
    ['GET', '/api/v1/namespaces/prod/pods?watch=true&watch=false', { verb: 'watch' }],
    ['GET', '/api/v1/watch/namespaces/prod/pods', { verb: 'watch', namespace: 'prod', resource: 'pods' }],
    ['GET', '/apis/apps/v1/watch/namespaces/prod/deployments/web', { verb: 'watch', name: 'web' }],
    [
      'GET',
      '/api/v1/namespaces/prod/pods?fieldSelector=metadata.name%3Dweb-1&watch=true',
      { verb: 'watch', name: 'web-1' },
    ],
    [
      'POST',
      '/apis/apps/v1/namespaces/prod/deployments',
      { verb: 'create', apiGroup: 'apps', apiVersion: 'v1' },
    ],
    [
      'PUT',
      '/apis/apps/v1/namespaces/prod/deployments/web/status',
      { verb: 'update', subresource: 'status' },
    ],
    ['DELETE', '/api/v1/namespaces/prod/pods/web-1', { verb: 'delete', name: 'web-1' }],
    ['DELETE', '/api/v1/namespaces/prod/pods', { verb: 'deletecollection', name: undefined }],
    [
      'DELETE',
      '/api/v1/namespaces/payments-staging',
      { verb: 'delete', resource: 'namespaces', name: 'payments-staging', namespace: 'payments-staging' },
    ],
    [
      'PUT',
      '/api/v1/namespaces/prod/finalize',
      { verb: 'update', resource: 'namespaces', subresource: 'finalize' },
    ],
    ['GET', '/api/v1/namespaces', { verb: 'list', resource: 'namespaces', namespace: undefined }],
    ['GET', '/api/v1/nodes/node-1', { verb: 'get', resource: 'nodes', namespace: undefined, name: 'node-1' }],
    [
      'GET',
      '/apis/rbac.authorization.k8s.io/v1/clusterroles/system:controller:job-controller',
      { name: 'system:controller:job-controller' },
    ],
    [
      'GET',
      '/apis/cert-manager.io/v1alpha2/namespaces/x/certificates',
      { apiGroup: 'cert-manager.io', apiVersion: 'v1alpha2' },
    ],
    ['GET', '/api/v1/namespaces/prod/pods/web-1/exec?command=sh', { verb: 'exec', command: ['sh'] }],
    [
      'POST',
      '/api/v1/namespaces/prod/pods/web-1/exec?command=ls&command=-l&container=app',
      { verb: 'exec', command: ['ls', '-l'], container: 'app' },
    ],
    ['POST', '/api/v1/namespaces/prod/pods/web-1/attach?stdin=true', { verb: 'attach' }],
    ['GET', '/api/v1/namespaces/prod/pods/web-1/portforward?ports=8080', { verb: 'portforward' }],
    ['GET', '/api/v1/namespaces/prod/services/web/proxy/metrics/x', { verb: 'proxy', subresource: 'proxy' }],
    [
      'GET',
      '/api/v1/namespaces/prod/services/https:web:443/proxy/',
      { verb: 'proxy', name: 'https:web:443' },
    ],
    ['GET', '/api/v1/nodes/node-1/proxy/stats/summary', { verb: 'proxy', resource: 'nodes' }],
    [
      'GET',
      '/api/v1/namespaces/prod/pods/web-1/log?follow=true&container=app',
      { verb: 'get', subresource: 'log', container: 'app' },
    ],
    ['POST', '/api/v1/namespaces/prod/pods/web-1/eviction', { verb: 'create', subresource: 'eviction' }],
    [
      'PATCH',
      '/api/v1/namespaces/prod/pods/web-1/ephemeralcontainers',
      { verb: 'patch', subresource: 'ephemeralcontainers' },
    ],
    ['POST', '/api/v1/namespaces/prod/pods/web-1/binding', { verb: 'create', subresource: 'binding' }],
    [
      'POST',
      '/api/v1/namespaces/prod/serviceaccounts/deployer/token',
      { verb: 'create', subresource: 'token' },
    ],
  ] as const)('%s %s', (method, url, expected) => {
    expect(resource(req(method, url))).toMatchObject(expected);
  });

  it.each([
    ['/api', true],
    ['/apis', true],
    ['/api/v1', true],
    ['/apis/apps', true],
    ['/apis/apps/v1', true],
    ['/version', true],
    ['/openapi/v2', true],
    ['/openapi/v3/apis/apps/v1', true],
    ['/healthz', false],
    ['/livez/ping', false],
    ['/readyz', false],
    ['/metrics', false],
  ])('GET %s is a read-only non-resource URL (discovery: %s)', (path, discovery) => {
    expect(parseAction(req('GET', path))).toEqual({
      kind: 'nonResource',
      verb: 'get',
      method: 'GET',
      path,
      discovery,
      readOnly: true,
    });
  });

  it('exec, attach and port-forward are never read-only, whatever the method', () => {
    for (const method of ['GET', 'POST', 'HEAD']) {
      for (const sub of ['exec', 'attach', 'portforward']) {
        const upgrade = { upgrade: 'websocket', connection: 'Upgrade' };
        const action = resource(req(method, `/api/v1/namespaces/p/pods/x/${sub}`, { headers: upgrade }));
        expect(action).toMatchObject({ verb: sub, readOnly: false });
      }
    }
  });

  it('only get, list and watch are read-only', () => {
    expect(resource(req('GET', '/api/v1/pods')).readOnly).toBe(true);
    expect(resource(req('GET', '/api/v1/namespaces/p/services/s/proxy')).readOnly).toBe(false);
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      expect(resource(req(method, '/api/v1/namespaces/p/pods/x')).readOnly).toBe(false);
    }
  });
});

describe('parseAction: fails closed', () => {
  it.each([
    ['GET', '/api/v1/namespaces/prod/pods/../../secrets'],
    ['GET', '/api/v1/namespaces/prod/./pods'],
    ['GET', '/api/v1//namespaces/prod/pods'],
    ['DELETE', '/api/v1/namespaces/prod/pods%2Fweb'],
    ['DELETE', '/api/v1/namespaces/prod/pods/web%2f..'],
    ['DELETE', '/api/v1/namespaces/prod/pods/%2e%2e'],
    ['DELETE', '/api/v1/namespaces/prod/pods/we%62'],
    ['GET', '/api/v1/namespaces/prod/services/web/proxy/%2e%2e/%2e%2e/secrets'],
    ['GET', '/api/v1/namespaces/prod/pods/web\\..'],
    ['GET', '/api/v1/namespaces/Prod/pods'],
    ['GET', '/api/v1/namespaces/prod/pods/web/exec/extra'],
    ['GET', '/api/v1/proxy/namespaces/prod/pods/web'],
    ['GET', '/api/v1/pods/'],
    ['GET', 'api/v1/pods'],
    ['GET', '/'],
    ['GET', '/logs/kube-apiserver.log'],
    ['GET', '/debug/pprof/profile'],
    ['GET', '/api/v1/namespaces/prod/pods/web 1'],
    ['DELETE', '/api/v1/watch/namespaces/prod/pods'],
    ['POST', '/version'],
    ['OPTIONS', '/api/v1/pods'],
    ['TRACE', '/api/v1/pods'],
    ['get', '/api/v1/pods'],
    ['', '/api/v1/pods'],
  ])('%s %s is unclassified', (method, path) => {
    expect(parseAction(req(method, path))).toMatchObject({
      kind: 'unclassified',
      verb: 'unknown',
      readOnly: false,
    });
  });

  it.each(['x-http-method-override', 'x-http-method', 'x-method-override'])(
    'a %s header makes any request unclassified',
    (h) => {
      expect(parseAction(req('GET', '/api/v1/pods', { headers: { [h]: 'DELETE' } }))).toMatchObject({
        kind: 'unclassified',
        reason: `method override header ${h}`,
      });
    },
  );

  it('an upgrade on a plain get is unclassified; on a watch it is a watch', () => {
    const headers = { upgrade: 'websocket', connection: 'Upgrade' };
    expect(parseAction(req('GET', '/api/v1/namespaces/p/pods/x', { headers })).kind).toBe('unclassified');
    expect(parseAction(req('GET', '/api/v1/namespaces/p/pods?watch=true', { headers }))).toMatchObject({
      verb: 'watch',
    });
  });
});

describe('parseAction: dry runs', () => {
  const pods = '/api/v1/namespaces/p/pods';
  const refusedAs = (r: KubeRequest) => {
    const action = parseAction(r);
    return action.kind === 'unclassified' && action.badRequest === true ? action.reason : undefined;
  };

  it('a dry run only when every dryRun value is exactly All, and there is one', () => {
    expect(resource(req('POST', `${pods}?dryRun=All`)).dryRun).toBe(true);
    expect(resource(req('POST', `${pods}?dryRun=All&dryRun=All`)).dryRun).toBe(true);
    expect(resource(req('POST', `${pods}?dry%52un=All`)).dryRun).toBe(true);
    expect(resource(req('POST', `${pods}?fieldManager=x`)).dryRun).toBe(false);
  });

  it.each([
    'dryRun=all',
    'dryRun=x',
    'dryRun=',
    'dryRun',
    'dryRun=x&dryRun=All',
    'dryRun=All&dryRun=all',
    'dryRun=All%20',
    'dryRun=All+',
    // Go's net/url keeps a raw # in the query of a request-target: the value is "All#".
    'dryRun=All#',
    'dryRun=All#&dryRun=All',
  ])('%s: refused as the API server refuses it (400), not guessed', (query) => {
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      const path = method === 'POST' ? pods : `${pods}/x`;
      expect(refusedAs(req(method, `${path}?${query}`))).toContain('the only supported value is "All"');
    }
    expect(refusedAs(req('DELETE', `${pods}?${query}`))).toBeDefined();
  });

  it('reads the query as Go does: a pair with ; or a broken escape is dropped, + is a space', () => {
    // Dropped by Go, so no dryRun at all: a real request, not a refused one.
    expect(resource(req('POST', `${pods}?dryRun=x;y`)).dryRun).toBe(false);
    expect(resource(req('POST', `${pods}?dryRun=%zz`)).dryRun).toBe(false);
    expect(resource(req('POST', `${pods}?dryRun=All;&dryRun=All`)).dryRun).toBe(true);
    expect(resource(req('POST', `${pods}?dryRun=%41ll`)).dryRun).toBe(true);
    expect(resource(req('GET', `${pods}?labelSelector=a+in+(b)`)).labelSelector).toBe('a in (b)');
    expect(resource(req('GET', `${pods}?labelSelector=a;&labelSelector=b`)).labelSelector).toBe('b');
  });

  it('refuses a query with more parameters than Go versions agree on', () => {
    const many = Array.from({ length: 10_001 }, (_, i) => `p${i}=1`).join('&');
    expect(refusedAs(req('POST', `${pods}?dryRun=All&${many}`))).toContain('more than 10000 parameters');
    expect(resource(req('POST', `${pods}?${many.split('&').slice(1).join('&')}`)).dryRun).toBe(false);
  });

  it('dryRun: ["All"] in a DeleteOptions body', () => {
    const body = {
      kind: 'DeleteOptions',
      apiVersion: 'v1',
      propagationPolicy: 'Background',
      dryRun: ['All'],
    };
    expect(resource(req('DELETE', '/api/v1/namespaces/p/pods/x', { body })).dryRun).toBe(true);
    expect(resource(req('DELETE', '/api/v1/namespaces/p/pods', { body })).dryRun).toBe(true);
  });

  it.each([
    [{ dryRun: ['All', 'All'] }, true],
    [{ dryRun: [] }, false],
    [{ dryRun: null }, false],
    [{ DryRun: ['All'] }, false],
    [{ propagationPolicy: 'Background' }, false],
  ])('DeleteOptions %j: dry run %s', (body, dryRun) => {
    expect(resource(req('DELETE', `${pods}/x`, { body })).dryRun).toBe(dryRun);
  });

  it.each([
    { dryRun: ['all'] },
    { dryRun: ['All', 'x'] },
    { dryRun: [''] },
    { dryRun: 'All' },
    { dryRun: [1] },
    { dryRun: {} },
  ])('DeleteOptions %j: refused (400), as the API server refuses it', (body) => {
    expect(refusedAs(req('DELETE', `${pods}/x?dryRun=All`, { body }))).toContain('DeleteOptions.dryRun');
    expect(refusedAs(req('DELETE', pods, { body }))).toContain('DeleteOptions.dryRun');
  });

  it('DeleteOptions the API server would not decode as JSON are no dry run', () => {
    const options = '{"dryRun":["All"]}';
    // A byte-order mark: Go's encoding/json refuses it, so the body is not JSON DeleteOptions.
    expect(resource(req('DELETE', `${pods}/x`, { body: `\uFEFF${options}` })).dryRun).toBe(false);
    const json = { 'content-type': 'application/json' };
    expect(resource(req('DELETE', `${pods}/x`, { body: options, headers: json })).dryRun).toBe(true);
    const two = { 'content-type': ['application/json', 'application/vnd.kubernetes.protobuf'] };
    expect(resource(req('DELETE', `${pods}/x`, { body: options, headers: two })).dryRun).toBe(false);
    const protobuf = { 'content-type': 'application/vnd.kubernetes.protobuf' };
    expect(resource(req('DELETE', `${pods}/x`, { body: options, headers: protobuf })).dryRun).toBe(false);
    // YAML: go-yaml skips a byte-order mark.
    const yaml = { 'content-type': 'application/yaml' };
    expect(resource(req('DELETE', `${pods}/x`, { body: '\uFEFFdryRun: [All]', headers: yaml })).dryRun).toBe(
      true,
    );
  });

  it('a DELETE with a body ignores dryRun in the query, as the API server does', () => {
    const body = { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' };
    expect(resource(req('DELETE', '/api/v1/namespaces/p/pods/x?dryRun=All', { body })).dryRun).toBe(false);
    expect(resource(req('DELETE', '/api/v1/namespaces/p/pods/x?dryRun=All')).dryRun).toBe(true);
  });

  it('connect and proxy calls are never dry runs (the API server ignores the parameter for them)', () => {
    expect(resource(req('POST', '/api/v1/namespaces/p/pods/x/exec?command=rm&dryRun=All')).dryRun).toBe(
      false,
    );
    expect(resource(req('DELETE', '/api/v1/namespaces/p/services/s/proxy/x?dryRun=All')).dryRun).toBe(false);
  });
});

describe('parseAction: scale to zero from the body', () => {
  const deployment = '/apis/apps/v1/namespaces/prod/deployments/web';
  const ct = (type: string) => ({ 'content-type': type });

  it.each([
    [
      'scale subresource, merge patch',
      'PATCH',
      `${deployment}/scale`,
      'application/merge-patch+json',
      { spec: { replicas: 0 } },
    ],
    [
      'scale subresource, PUT',
      'PUT',
      `${deployment}/scale`,
      'application/json',
      { kind: 'Scale', spec: { replicas: 0 } },
    ],
    ['merge patch', 'PATCH', deployment, 'application/merge-patch+json', { spec: { replicas: 0 } }],
    [
      'strategic merge patch',
      'PATCH',
      deployment,
      'application/strategic-merge-patch+json',
      { spec: { replicas: 0 } },
    ],
    [
      'json patch replace',
      'PATCH',
      deployment,
      'application/json-patch+json',
      [{ op: 'replace', path: '/spec/replicas', value: 0 }],
    ],
    [
      'json patch add',
      'PATCH',
      deployment,
      'application/json-patch+json',
      [{ op: 'add', path: '/spec/replicas', value: 0 }],
    ],
    [
      'json patch replacing spec',
      'PATCH',
      deployment,
      'application/json-patch+json',
      [{ op: 'replace', path: '/spec', value: { replicas: 0 } }],
    ],
    [
      'apply patch (JSON body)',
      'PATCH',
      deployment,
      'application/apply-patch+yaml',
      { apiVersion: 'apps/v1', kind: 'Deployment', spec: { replicas: 0 } },
    ],
    [
      'apply patch (YAML body)',
      'PATCH',
      deployment,
      'application/apply-patch+yaml',
      'apiVersion: apps/v1\nkind: Deployment\nspec:\n  replicas: 0\n',
    ],
    [
      'PUT of the object',
      'PUT',
      deployment,
      'application/json',
      { kind: 'Deployment', spec: { replicas: 0 } },
    ],
    [
      'PUT of a YAML object',
      'PUT',
      deployment,
      'application/yaml',
      'kind: Deployment\nspec: {replicas: 0}\n',
    ],
    [
      'statefulset',
      'PATCH',
      '/apis/apps/v1/namespaces/p/statefulsets/db',
      'application/merge-patch+json',
      { spec: { replicas: 0 } },
    ],
    [
      'replicaset',
      'PATCH',
      '/apis/apps/v1/namespaces/p/replicasets/r',
      'application/merge-patch+json',
      { spec: { replicas: 0 } },
    ],
    [
      'replicationcontroller',
      'PATCH',
      '/api/v1/namespaces/p/replicationcontrollers/rc',
      'application/merge-patch+json',
      { spec: { replicas: 0 } },
    ],
    [
      'custom resource scale',
      'PATCH',
      '/apis/example.com/v1/namespaces/p/widgets/w/scale',
      'application/merge-patch+json',
      { spec: { replicas: 0 } },
    ],
    [
      'content type with charset',
      'PATCH',
      deployment,
      'application/merge-patch+json; charset=utf-8',
      { spec: { replicas: 0 } },
    ],
  ] as const)('%s sets 0', (_, method, path, type, body) => {
    expect(resource(req(method, path, { headers: ct(type), body }))).toMatchObject({
      scaleToZero: true,
      replicas: 0,
    });
  });

  it.each([
    ['replicas 3', 'application/merge-patch+json', { spec: { replicas: 3 } }, 3],
    [
      'an image change',
      'application/strategic-merge-patch+json',
      { spec: { template: { spec: {} } } },
      undefined,
    ],
    [
      'json patch setting then resetting',
      'application/json-patch+json',
      [
        { op: 'replace', path: '/spec/replicas', value: 0 },
        { op: 'replace', path: '/spec/replicas', value: 2 },
      ],
      2,
    ],
    [
      'json patch on another field',
      'application/json-patch+json',
      [{ op: 'replace', path: '/spec/paused', value: true }],
      undefined,
    ],
  ] as const)('%s is not scale to zero', (_, type, body, replicas) => {
    expect(resource(req('PATCH', deployment, { headers: ct(type), body }))).toMatchObject({
      scaleToZero: false,
      replicas,
    });
  });

  it('a gzip-encoded body is decoded', () => {
    const body = gzipSync(JSON.stringify({ spec: { replicas: 0 } }));
    const headers = { ...ct('application/merge-patch+json'), 'content-encoding': 'gzip' };
    expect(resource(req('PATCH', `${deployment}/scale`, { headers, body }))).toMatchObject({
      scaleToZero: true,
      replicas: 0,
    });
  });

  it.each([
    ['no body', 'application/merge-patch+json', undefined, {}],
    ['not JSON', 'application/merge-patch+json', '{"spec":', {}],
    ['protobuf', 'application/vnd.kubernetes.protobuf', 'k8s\0...', {}],
    ['unknown patch type', 'application/x-patch', { spec: { replicas: 0 } }, {}],
    [
      'a json patch copying a value in',
      'application/json-patch+json',
      [{ op: 'copy', from: '/status/replicas', path: '/spec/replicas' }],
      {},
    ],
    ['replicas as a string', 'application/merge-patch+json', { spec: { replicas: '0' } }, {}],
    [
      'a gzip bomb',
      'application/merge-patch+json',
      gzipSync(Buffer.alloc(64 * 1024 * 1024, 32)),
      { 'content-encoding': 'gzip' },
    ],
    [
      'broken gzip',
      'application/merge-patch+json',
      new Uint8Array([0x1f, 0x8b, 1, 2, 3]),
      { 'content-encoding': 'gzip' },
    ],
    [
      'an unknown encoding',
      'application/merge-patch+json',
      { spec: { replicas: 3 } },
      { 'content-encoding': 'br' },
    ],
    [
      'two content types',
      ['application/merge-patch+json', 'application/json'],
      { spec: { replicas: 3 } },
      {},
    ],
    ['YAML with duplicate keys', 'application/apply-patch+yaml', 'spec:\n  replicas: 3\n  replicas: 0\n', {}],
    ['invalid UTF-8', 'application/merge-patch+json', new Uint8Array([0x7b, 0xff, 0x7d]), {}],
  ] as const)('%s on a scale target counts as scale to zero (fail closed)', (_, type, body, extra) => {
    const headers = { 'content-type': type as string | string[], ...extra };
    expect(resource(req('PATCH', deployment, { headers, body }))).toMatchObject({
      scaleToZero: true,
      replicas: undefined,
    });
  });

  it('bodies of requests that cannot scale are not read for replicas', () => {
    const body = { spec: { replicas: 0 } };
    const headers = ct('application/merge-patch+json');
    expect(
      resource(req('PATCH', '/apis/apps/v1/namespaces/p/daemonsets/d', { headers, body })).scaleToZero,
    ).toBe(false);
    expect(resource(req('PATCH', `${deployment}/status`, { headers, body })).scaleToZero).toBe(false);
    expect(
      resource(req('POST', '/apis/apps/v1/namespaces/p/deployments', { headers, body })).scaleToZero,
    ).toBe(false);
  });

  it('records the patch type', () => {
    const action = resource(
      req('PATCH', deployment, { headers: ct('application/apply-patch+yaml'), body: {} }),
    );
    expect(action.patchType).toBe('apply');
  });
});

describe('parseAction: PUT bodies', () => {
  it('a PUT on a scale target without a Content-Type is unreadable (the API server answers 415)', () => {
    const body = new TextEncoder().encode(JSON.stringify({ spec: { replicas: 3 } }));
    const action = parseAction({
      method: 'PUT',
      path: '/apis/apps/v1/namespaces/p/deployments/web',
      query: '',
      headers: {},
      body,
    });
    expect(action).toMatchObject({ scaleToZero: true, replicas: undefined });
  });
});
