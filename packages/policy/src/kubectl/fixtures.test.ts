/**
 * What the real kubectl v1.32 sends, recorded by scripts/record-fixtures.ts against the
 * testkit's recording upstream, classified, rendered and decided under a realistic rule set.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compilePolicy } from '../compile/index.js';
import { parseAction } from '../parse/index.js';
import { renderCommand } from '../render/index.js';
import type { Action, KubeRequest } from '../types.js';

interface Fixture {
  args: string[];
  requests: {
    method: string;
    path: string;
    query: string;
    headers: KubeRequest['headers'];
    body: string | null;
  }[];
}

const DIR = join(import.meta.dirname, '..', '..', 'fixtures', 'kubectl-1.32');

function load(name: string): { request: KubeRequest; action: Action }[] {
  const fixture = JSON.parse(readFileSync(join(DIR, `${name}.json`), 'utf8')) as Fixture;
  return fixture.requests.map((r) => {
    const request: KubeRequest = {
      method: r.method,
      path: r.path,
      query: r.query,
      headers: r.headers,
      body: r.body === null ? undefined : Buffer.from(r.body, 'base64'),
    };
    return { request, action: parseAction(request) };
  });
}

const sre = { group: 'sre-oncall', approvals: 1 };
const policy = compilePolicy(
  {
    default: 'allow',
    rules: [
      {
        name: 'prod-delete',
        match: { verbs: ['delete', 'deletecollection'], namespaces: ['prod*'] },
        require: sre,
      },
      {
        name: 'no-namespace-delete',
        match: { verbs: ['delete'], resources: ['namespaces'] },
        require: { group: 'sre-oncall', approvals: 2 },
      },
      {
        name: 'prod-exec',
        match: { verbs: ['exec', 'attach', 'portforward'], namespaces: ['prod*'] },
        require: sre,
      },
      { name: 'scale-to-zero', match: { scaleToZero: true }, require: sre },
      {
        name: 'node-changes',
        match: { resources: ['nodes'], verbs: ['update', 'patch', 'delete'] },
        require: sre,
      },
      { name: 'prod-evictions', match: { subresources: ['eviction'], namespaces: ['prod*'] }, require: sre },
      {
        name: 'no-secret-reads',
        match: { resources: ['secrets'], verbs: ['get', 'list', 'watch'] },
        deny: { reason: 'secrets stay secret' },
      },
    ],
  },
  { knownGroups: ['sre-oncall'] },
);

type Row = readonly [verb: string, command: string, decision: string];
const get = (what: string, name: string): Row => ['get', `kubectl get ${what} ${name} -n prod`, 'allow'];
const getWeb = get('deployment', 'web');
const getPod = get('pod', 'web-1');

/** Per fixture, the non-discovery requests in the order kubectl sent them. */
const TABLE: Record<string, readonly Row[]> = {
  'get-pods': [['list', 'kubectl get pods -n prod', 'allow']],
  'get-pod': [getPod],
  'get-pods-all-namespaces': [['list', 'kubectl get pods -l app=web -A', 'allow']],
  'get-namespaces': [['list', 'kubectl get namespaces', 'allow']],
  'watch-pods': [
    ['list', 'kubectl get pods -n prod', 'allow'],
    ['watch', 'kubectl get pods -n prod --watch', 'allow'],
  ],
  'apply-create': [
    get('deployment', 'api'),
    ['get', 'kubectl get namespace prod', 'allow'],
    ['create', 'kubectl create -f - -n prod  # deployments', 'allow'],
  ],
  'apply-update-to-zero': [
    getWeb,
    [
      'patch',
      'kubectl patch deployment web -n prod --type=strategic  # sets spec.replicas=0',
      'require:scale-to-zero',
    ],
  ],
  'apply-server-side-to-zero': [
    [
      'patch',
      'kubectl apply --server-side -f - -n prod  # deployment/web, sets spec.replicas=0',
      'require:scale-to-zero',
    ],
  ],
  'create-configmap': [['create', 'kubectl create -f - -n prod  # configmaps', 'allow']],
  'create-from-file': [['create', 'kubectl create -f - -n prod  # deployments', 'allow']],
  'replace-to-zero': [
    getWeb,
    [
      'update',
      'kubectl replace -f - -n prod  # deployment/web, sets spec.replicas=0',
      'require:scale-to-zero',
    ],
  ],
  'edit-to-zero': [
    getWeb,
    [
      'patch',
      'kubectl patch deployment web -n prod --type=strategic  # sets spec.replicas=0',
      'require:scale-to-zero',
    ],
  ],
  'delete-pod': [['delete', 'kubectl delete pod web-1 -n prod', 'require:prod-delete'], getPod],
  // kubectl delete --all lists, then deletes one by one (no deletecollection), then waits for each.
  'delete-all-pods': [
    ['list', 'kubectl get pods -n prod', 'allow'],
    ['delete', 'kubectl delete pod web-1 -n prod', 'require:prod-delete'],
    ['delete', 'kubectl delete pod web-2 -n prod', 'require:prod-delete'],
    getPod,
    get('pod', 'web-2'),
  ],
  'delete-dry-run-server': [['delete', 'kubectl delete pod web-1 -n prod --dry-run=server', 'allow']],
  'delete-namespace': [
    ['delete', 'kubectl delete namespace payments-staging', 'require:no-namespace-delete'],
    ['get', 'kubectl get namespace payments-staging', 'allow'],
  ],
  'scale-to-zero': [
    getWeb,
    ['patch', 'kubectl scale deployment/web --replicas=0 -n prod', 'require:scale-to-zero'],
  ],
  'scale-to-three': [getWeb, ['patch', 'kubectl scale deployment/web --replicas=3 -n prod', 'allow']],
  'patch-strategic': [
    getWeb,
    [
      'patch',
      'kubectl patch deployment web -n prod --type=strategic  # sets spec.replicas=0',
      'require:scale-to-zero',
    ],
  ],
  'patch-merge': [
    getWeb,
    [
      'patch',
      'kubectl patch deployment web -n prod --type=merge  # sets spec.replicas=0',
      'require:scale-to-zero',
    ],
  ],
  'patch-json': [
    getWeb,
    [
      'patch',
      'kubectl patch deployment web -n prod --type=json  # sets spec.replicas=0',
      'require:scale-to-zero',
    ],
  ],
  'rollout-restart': [getWeb, ['patch', 'kubectl patch deployment web -n prod --type=strategic', 'allow']],
  'exec-websocket': [getPod, ['exec', 'kubectl exec -n prod web-1 -c app -- echo hi', 'require:prod-exec']],
  // The WebSocket upgrade refused with 403, kubectl retries the same exec over SPDY with a POST.
  'exec-spdy-fallback': [
    getPod,
    ['exec', 'kubectl exec -n prod web-1 -c app -- sh', 'require:prod-exec'],
    ['exec', 'kubectl exec -n prod web-1 -c app -- sh', 'require:prod-exec'],
  ],
  attach: [getPod, ['attach', 'kubectl attach -n prod web-1 -c app', 'require:prod-exec']],
  'attach-spdy-fallback': [
    getPod,
    ['attach', 'kubectl attach -n prod web-1 -c app', 'require:prod-exec'],
    ['attach', 'kubectl attach -n prod web-1 -c app', 'require:prod-exec'],
  ],
  'port-forward': [
    getPod,
    getPod,
    ['portforward', 'kubectl port-forward -n prod pod/web-1', 'require:prod-exec'],
    ['portforward', 'kubectl port-forward -n prod pod/web-1', 'require:prod-exec'],
  ],
  logs: [getPod, ['get', 'kubectl logs web-1 -n prod -c app', 'allow']],
  'logs-follow': [getPod, ['get', 'kubectl logs web-1 -n prod -c app -f', 'allow']],
  cordon: [
    ['get', 'kubectl get node node-1', 'allow'],
    ['patch', 'kubectl patch node node-1 --type=strategic', 'require:node-changes'],
  ],
  drain: [
    ['get', 'kubectl get node node-1', 'allow'],
    ['patch', 'kubectl patch node node-1 --type=strategic', 'require:node-changes'],
    ['list', 'kubectl get pods --field-selector spec.nodeName=node-1 -A', 'allow'],
    [
      'create',
      'kubectl create --raw /api/v1/namespaces/prod/pods/web-1/eviction -f -',
      'require:prod-evictions',
    ],
    getPod,
  ],
};

function decisionOf(action: Action): string {
  const d = policy.decide({ cluster: 'prod', agent: 'agent-oncall', action });
  return d.effect === 'allow' ? 'allow' : `${d.effect}:${d.rule}`;
}

describe('requests recorded from kubectl 1.32', () => {
  it('every fixture on disk is in the table, and the other way round', () => {
    const onDisk = readdirSync(DIR)
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.slice(0, -'.json'.length));
    expect(onDisk.sort()).toEqual(Object.keys(TABLE).sort());
  });

  it.each(Object.entries(TABLE))('%s', (name, rows) => {
    const requests = load(name);
    for (const { action } of requests) expect(action.kind).not.toBe('unclassified');
    // Discovery (/version, /api, /apis, /api/v1, /openapi/...) is always allowed and never held.
    const discovery = requests.filter(({ action }) => action.kind === 'nonResource' && action.discovery);
    for (const { action } of discovery)
      expect(policy.decide({ cluster: 'prod', agent: 'a', action }).effect).toBe('allow');
    const actual = requests
      .filter(({ action }) => !(action.kind === 'nonResource' && action.discovery))
      .map(({ action }) => [action.verb, renderCommand(action), decisionOf(action)]);
    expect(actual).toEqual(rows);
  });

  it('covers every verb kubectl sends for the issue list', () => {
    const verbs = new Set(Object.keys(TABLE).flatMap((name) => load(name).map(({ action }) => action.verb)));
    for (const verb of [
      'get',
      'list',
      'watch',
      'create',
      'update',
      'patch',
      'delete',
      'exec',
      'attach',
      'portforward',
    ]) {
      expect(verbs).toContain(verb);
    }
  });

  it('reads the body: dry run from DeleteOptions, scale to zero under every patch type kubectl uses', () => {
    const main = (name: string, method: string) =>
      load(name).find(({ request }) => request.method === method)!.action;
    expect(main('delete-dry-run-server', 'DELETE')).toMatchObject({ dryRun: true, readOnly: false });
    expect(main('delete-pod', 'DELETE')).toMatchObject({ dryRun: false });
    for (const name of [
      'apply-update-to-zero',
      'apply-server-side-to-zero',
      'edit-to-zero',
      'patch-json',
      'patch-merge',
      'scale-to-zero',
    ]) {
      expect(main(name, 'PATCH'), name).toMatchObject({ scaleToZero: true, replicas: 0 });
    }
    expect(main('replace-to-zero', 'PUT')).toMatchObject({ scaleToZero: true, replicas: 0 });
    expect(main('scale-to-three', 'PATCH')).toMatchObject({ scaleToZero: false, replicas: 3 });
    expect(main('rollout-restart', 'PATCH')).toMatchObject({ scaleToZero: false, replicas: undefined });
    expect(main('apply-server-side-to-zero', 'PATCH')).toMatchObject({ patchType: 'apply' });
  });

  it('the exec retry is the same exec over another transport: GET+Upgrade, then POST', () => {
    const execs = load('exec-spdy-fallback').filter(({ action }) => action.verb === 'exec');
    expect(execs.map(({ request }) => [request.method, request.headers.upgrade])).toEqual([
      ['GET', 'websocket'],
      ['POST', 'SPDY/3.1'],
    ]);
    for (const { action } of execs)
      expect(action).toMatchObject({ readOnly: false, command: ['sh'], container: 'app' });
  });
});
