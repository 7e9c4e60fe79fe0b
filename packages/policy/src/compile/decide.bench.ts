/**
 * Policy decisions per second on a realistic rule set of 50 rules (not a test: speed goals
 * belong here). Run with `pnpm --filter @gatehouse/policy bench`. Goal: < 5 µs per decision;
 * with two CEL rules added (one every request reaches, one reading the body of workload writes),
 * < 25 µs.
 *
 * Inputs are the actions parsed from the recorded kubectl fixtures plus a few synthetic
 * ones, so the mix is what the gateway sees. A trivial decision function runs through the
 * same loop in the same process as the baseline, to show the cost of the loop itself.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAction } from '../parse/index.js';
import type { Action, Decision, KubeRequest, PolicyContext } from '../types.js';
import { compilePolicy } from './index.js';

const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures', 'kubectl-1.32');
const TEAMS = [
  'payments',
  'search',
  'checkout',
  'identity',
  'billing',
  'ledger',
  'growth',
  'infra',
  'data',
  'mobile',
];
const sre = { group: 'sre-oncall', approvals: 1 };

function rules(): unknown[] {
  const perTeam = TEAMS.flatMap((team) => [
    {
      name: `${team}-dev-free`,
      match: { agents: [`agent-${team}*`], namespaces: [`${team}-dev*`] },
      allow: {},
    },
    {
      name: `${team}-prod-delete`,
      match: { verbs: ['delete', 'deletecollection'], namespaces: [`${team}-prod*`, `${team}-live`] },
      require: { group: `${team}-leads`, approvals: 1 },
    },
    {
      name: `${team}-prod-exec`,
      match: { verbs: ['exec', 'attach', 'portforward'], namespaces: [`${team}-prod*`] },
      require: { group: `${team}-leads`, approvals: 1 },
    },
    {
      name: `${team}-no-foreign-writes`,
      match: {
        agents: [`agent-${team}*`],
        verbs: ['create', 'update', 'patch', 'delete'],
        namespaces: TEAMS.filter((t) => t !== team).map((t) => `${t}-*`),
      },
      deny: { reason: `agents of ${team} only write in ${team} namespaces` },
    },
  ]);
  return [
    {
      name: 'prod-delete',
      match: { verbs: ['delete', 'deletecollection'], namespaces: ['prod-*'] },
      require: sre,
    },
    {
      name: 'no-namespace-delete',
      match: { verbs: ['delete'], resources: ['namespaces'] },
      require: { ...sre, approvals: 2 },
    },
    {
      name: 'prod-exec',
      match: { verbs: ['exec', 'attach', 'portforward'], namespaces: ['prod*'] },
      require: sre,
    },
    { name: 'scale-to-zero', match: { scaleToZero: true }, require: sre },
    ...perTeam,
    {
      name: 'node-changes',
      match: { resources: ['nodes'], verbs: ['update', 'patch', 'delete'] },
      require: sre,
    },
    {
      name: 'evictions',
      match: { subresources: ['eviction'], namespaces: ['prod*', '*-prod'] },
      require: sre,
    },
    {
      name: 'no-secret-reads',
      match: { resources: ['secrets'], verbs: ['get', 'list', 'watch'] },
      deny: { reason: 'no' },
    },
    {
      name: 'rbac',
      match: { resources: ['*.rbac.authorization.k8s.io'], verbs: ['create', 'update', 'patch', 'delete'] },
      require: sre,
    },
    {
      name: 'crds',
      match: { resources: ['customresourcedefinitions.apiextensions.k8s.io'] },
      require: { ...sre, approvals: 2 },
    },
    {
      name: 'kube-system',
      match: { namespaces: ['kube-*'], verbs: ['create', 'update', 'patch', 'delete'] },
      deny: { reason: 'no' },
    },
    {
      name: 'certs',
      match: { resources: ['certificates.cert-manager.io', 'issuers.cert-manager.io'], verbs: ['delete'] },
      require: sre,
    },
    {
      name: 'prod-cluster-deletecollection',
      match: { clusters: ['prod*'], verbs: ['deletecollection'] },
      deny: { reason: 'no' },
    },
    { name: 'dry-runs-of-bots', match: { agents: ['bot-*'], dryRun: true }, allow: {} },
    { name: 'proxy', match: { verbs: ['proxy'] }, require: sre },
    {
      name: 'pvs',
      match: { resources: ['persistentvolumes', 'persistentvolumeclaims'], verbs: ['delete'] },
      require: { ...sre, approvals: 2 },
    },
    { name: 'reads', match: { verbs: ['get', 'list', 'watch'] }, allow: {} },
  ];
}

function requests(): KubeRequest[] {
  const all: KubeRequest[] = [];
  for (const file of readdirSync(FIXTURES)) {
    const fixture = JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')) as {
      requests: (Omit<KubeRequest, 'body'> & { body: string | null })[];
    };
    for (const r of fixture.requests)
      all.push({ ...r, body: r.body === null ? undefined : Buffer.from(r.body, 'base64') });
  }
  const synthetic = [
    '/api/v1/namespaces/payments-prod/pods/api-7',
    '/api/v1/namespaces/search-dev/secrets/token',
  ];
  for (const path of synthetic) all.push({ method: 'DELETE', path, query: '', headers: {} });
  return all;
}

const AGENTS = ['agent-oncall', 'agent-payments-1', 'bot-ci'];
const contextOf = (action: Action, i: number): PolicyContext => ({
  cluster: i % 2 ? 'prod' : 'staging',
  agent: AGENTS[i % 3]!,
  action,
});

function measure<T>(label: string, contexts: T[], decide: (ctx: T) => Decision): number {
  const iterations = 2_000_000;
  let sink = 0;
  for (let i = 0; i < 200_000; i++) sink += decide(contexts[i % contexts.length]!).effect.length; // warm-up
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) sink += decide(contexts[i % contexts.length]!).effect.length;
  const ns = Number(process.hrtime.bigint() - start) / iterations;
  const perSecond = Math.round(1e9 / ns).toLocaleString('en-US');
  console.log(
    `${label.padEnd(34)} ${perSecond.padStart(12)} decisions/s  ${(ns / 1000).toFixed(3)} µs/decision  (${sink % 7})`,
  );
  return ns;
}

const spec = { default: 'allow', rules: rules() };
const policy = compilePolicy(spec);
const raw = requests();
const contexts = raw.map((r, i) => contextOf(parseAction(r), i));
const ALLOW: Decision = { effect: 'allow', rule: null };
const DENY: Decision = { effect: 'deny', rule: 'baseline', reason: 'delete' };
const trivial = (ctx: PolicyContext): Decision => (ctx.action.verb === 'delete' ? DENY : ALLOW);

console.log(
  `policy: ${policy.spec.rules.length} rules; ${contexts.length} distinct requests from the kubectl fixtures`,
);
const baseline = measure('baseline (verb === delete)', contexts, trivial);
const decide = measure('decide', contexts, policy.decide);
// For the gateway's budget: parsing (URL, query, and the body of PATCH/PUT/DELETE) plus deciding.
const parsed = contexts.map((ctx, i) => ({ ...ctx, request: raw[i]! }));
measure('parseAction + decide', parsed, (ctx) => policy.decide(contextOf(parseAction(ctx.request), 0)));
console.log(
  `decide / baseline: ${(decide / baseline).toFixed(1)}x; goal < 5 µs: ${decide < 5000 ? 'met' : 'MISSED'}`,
);

// Conditions read the request (and its body), so the contexts carry it, as the gateway's do.
const withCel = compilePolicy({
  ...spec,
  rules: [
    ...spec.rules,
    {
      name: 'cel-prod-writes',
      match: {},
      conditions: [
        "request.cluster == 'prod' && request.namespace.startsWith('payments') && request.verb != 'get'",
      ],
      require: sre,
    },
    {
      name: 'cel-foreign-images',
      match: { verbs: ['create', 'update', 'patch'] },
      conditions: [
        "object != null && has(object.spec) && has(object.spec.template) && object.spec.template.spec.containers.exists(c, !c.image.startsWith('registry.internal/'))",
      ],
      deny: { reason: 'images come from registry.internal' },
    },
  ],
});
const celContexts = contexts.map((ctx, i) => ({ ...ctx, request: raw[i]! }));
const cel = measure('decide with CEL', celContexts, withCel.decide);
console.log(`goal with CEL < 25 µs: ${cel < 25_000 ? 'met' : 'MISSED'}`);
