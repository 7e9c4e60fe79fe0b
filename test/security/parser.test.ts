import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { deployment } from '@gatehouse/testkit/kube-upstream';
import { waitUntil } from '@gatehouse/testkit/processes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../stack/index.js';
import {
  auditEvents,
  type GatewayRequest,
  gatewayRequest,
  isRealMutation,
  report,
  webDeploymentManifest,
} from './support.js';

/**
 * Where the gateway's reading of a request could differ from the API server's: dry-run values,
 * the query as Go parses it (a raw `#`, repeated keys), bodies that are not JSON to Go (a
 * byte-order mark), and replica counts the API server stores as 0. Previews are on: their dry
 * runs must stay dry runs by the API server's rules (`isServerDryRun`, written apart from the
 * gateway's parser).
 */

const HOLD_MS = 1500;
const NS = '/clusters/payments/api/v1/namespaces/payments-staging';
const WEB = '/clusters/payments/apis/apps/v1/namespaces/default/deployments/web';
const json = { 'content-type': 'application/json' };

describe('security: the gateway reads requests as the API server does', () => {
  let stack: Stack;
  const send = (req: GatewayRequest) => gatewayRequest(stack, { holdMs: HOLD_MS, ...req });
  const mutations = () => stack.upstream.requests.filter(isRealMutation);
  /** Previews run in the background after a request is held; wait until each has been recorded. */
  const previewsSettled = async (held: number) =>
    waitUntil(
      `${held} previews recorded`,
      async () => (await auditEvents(stack)).filter((e) => e.type === 'approval.preview').length >= held,
      20_000,
    );

  beforeAll(async () => {
    stack = await startStack({
      gateway: { previewTimeout: '5s' },
      policy: {
        default: 'allow',
        rules: [
          {
            name: 'namespace-delete',
            match: { verbs: ['delete', 'deletecollection'], resources: ['namespaces'] },
            require: { group: 'sre-oncall' },
          },
          { name: 'scale-to-zero', match: { scaleToZero: true }, require: { group: 'sre-oncall' } },
        ],
      },
    });
    stack.upstream.store.put(deployment({ name: 'web', namespace: 'default' }, 3));
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('dryRun values the API server refuses are refused (400), never held and replayed', async () => {
    const before = stack.upstream.requests.length;
    const zero = JSON.stringify({ spec: { replicas: 0 } });
    const merge = { 'content-type': 'application/merge-patch+json' };
    const attempts: { name: string; req: GatewayRequest }[] = [
      { name: 'dryRun=x', req: { method: 'DELETE', path: `${NS}?dryRun=x` } },
      { name: 'dryRun=all', req: { method: 'DELETE', path: `${NS}?dryRun=all` } },
      { name: 'dryRun=x&dryRun=All', req: { method: 'DELETE', path: `${NS}?dryRun=x&dryRun=All` } },
      // Go keeps a raw # in the query: the value is "All#", not All.
      { name: 'dryRun=All#', req: { method: 'DELETE', path: `${NS}?dryRun=All#` } },
      { name: 'dryRun= (empty)', req: { method: 'DELETE', path: `${NS}?dryRun=` } },
      {
        name: 'scale dryRun=all',
        req: { method: 'PATCH', path: `${WEB}?dryRun=all`, body: zero, headers: merge },
      },
      {
        name: 'scale dryRun=All&dryRun=None',
        req: { method: 'PATCH', path: `${WEB}?dryRun=All&dryRun=None`, body: zero, headers: merge },
      },
      {
        name: 'DeleteOptions dryRun [All, x]',
        req: { method: 'DELETE', path: NS, body: '{"dryRun":["All","x"]}', headers: json },
      },
      {
        name: 'DeleteOptions dryRun "All"',
        req: { method: 'DELETE', path: NS, body: '{"dryRun":"All"}', headers: json },
      },
    ];
    const answers = await Promise.all(attempts.map(async (a) => ({ name: a.name, ...(await send(a.req)) })));
    const refused = answers.filter((a) => a.status === 400 && a.body.includes('"reason":"BadRequest"'));
    const reached = stack.upstream.requests.slice(before);
    report(
      'unsupported dryRun values',
      reached.length,
      attempts.length,
      'reached the cluster',
      `${refused.length} refused 400; ${answers.map((a) => `${a.name}=${a.status === 0 ? 'held' : a.status}`).join(', ')}`,
    );
    expect(reached).toEqual([]);
    expect(refused.map((a) => a.name)).toEqual(attempts.map((a) => a.name));
    expect(JSON.parse(answers[0]!.body).message).toContain(
      'dryRun query parameter has "x"; the only supported value is "All"',
    );
  });

  it('a DeleteOptions body with a byte-order mark is not a dry run (Go refuses it as JSON): held', async () => {
    const before = await heldPreviews();
    const answer = await send({
      method: 'DELETE',
      path: NS,
      body: '\uFEFF{"dryRun":["All"]}',
      headers: json,
    });
    report(
      'byte-order-mark DeleteOptions',
      mutations().length,
      1,
      'reached the cluster',
      `answer ${answer.status === 0 ? 'held' : answer.status}`,
    );
    expect(answer.status).toBe(0);
    await previewsSettled(before + 1);
    expect(mutations()).toEqual([]);
    expect(stack.upstream.store.find('namespaces', undefined, 'payments-staging')).toBeDefined();
  });

  it("the preview's dry run replaces the agent's dryRun parameters: real dry runs only", async () => {
    // Parameters Go drops (`;`, a broken escape) leave no dryRun: real changes, held, then previewed.
    const before = await heldPreviews();
    const answers = await Promise.all([
      send({ method: 'DELETE', path: `${NS}?dryRun=All;x` }),
      send({ method: 'DELETE', path: `${NS}?dryRun=%zz&x=#` }),
    ]);
    expect(answers.map((a) => a.status)).toEqual([0, 0]);
    await previewsSettled(before + 2);
    const dryRuns = stack.upstream.requests.filter((r) => r.method === 'DELETE');
    report(
      'preview dry runs',
      mutations().length,
      dryRuns.length,
      'were real changes',
      dryRuns.map((r) => `dryRun=${r.query.getAll('dryRun').join('|')}`).join(', '),
    );
    expect(dryRuns.length).toBeGreaterThanOrEqual(2);
    expect(dryRuns.every((r) => r.query.getAll('dryRun').join('|') === 'All')).toBe(true);
    expect(mutations()).toEqual([]);
    expect(stack.upstream.store.find('namespaces', undefined, 'payments-staging')).toBeDefined();
  });

  it('kubectl --dry-run=server still passes as a dry run', async () => {
    const result = await stack
      .kubectl(['delete', 'namespace', 'payments-staging', '--dry-run=server'])
      .result();
    expect(result.code).toBe(0);
    expect(stack.upstream.store.find('namespaces', undefined, 'payments-staging')).toBeDefined();
    expect(mutations()).toEqual([]);
  });

  it('replica counts the API server stores as 0 (int32 truncation, fractions, null) are held', async () => {
    const file = join(stack.configPath, '..', 'web-2-32.json');
    await writeFile(file, webDeploymentManifest(4294967296));
    const kubectlCommands = [
      ['patch', 'deployment', 'web', '--type=strategic', '-p', '{"spec":{"replicas":4294967296}}'],
      ['patch', 'deployment', 'web', '--type=merge', '-p', '{"spec":{"replicas":-4294967296}}'],
      [
        'patch',
        'deployment',
        'web',
        '--type=json',
        '-p',
        '[{"op":"replace","path":"/spec/replicas","value":8589934592}]',
      ],
      [
        'patch',
        'deployment',
        'web',
        '--subresource=scale',
        '--type=merge',
        '-p',
        '{"spec":{"replicas":null}}',
      ],
      ['apply', '--server-side', '--force-conflicts', '-f', file],
      ['replace', '-f', file],
    ];
    const heldBefore = await heldNow(stack);
    const running = kubectlCommands.map((args) => stack.kubectl([...args, '-n', 'default']));
    const raw: GatewayRequest[] = [
      {
        method: 'PATCH',
        path: `${WEB}/scale`,
        body: JSON.stringify({ spec: { replicas: 0.5 } }),
        headers: { 'content-type': 'application/merge-patch+json' },
      },
      {
        method: 'PUT',
        path: `${WEB}/scale`,
        body: JSON.stringify({
          kind: 'Scale',
          apiVersion: 'autoscaling/v1',
          metadata: { name: 'web', namespace: 'default' },
          spec: {},
        }),
        headers: json,
      },
      {
        method: 'PATCH',
        path: `${WEB}?fieldManager=x`,
        body: 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {replicas: "0"}\n',
        headers: { 'content-type': 'application/apply-patch+yaml' },
      },
      {
        method: 'PATCH',
        path: '/clusters/payments/apis/example.com/v1/namespaces/default/widgets/w/scale',
        body: JSON.stringify({ spec: { replicas: 4294967296 } }),
        headers: { 'content-type': 'application/merge-patch+json' },
      },
    ];
    const rawAnswers = await Promise.all(raw.map((req) => send(req)));
    await waitUntil(
      'every kubectl held',
      async () => (await heldNow(stack)) >= heldBefore + kubectlCommands.length,
      30_000,
    );
    const stillHeld = running.filter((k) => k.running()).length;
    for (const k of running) await k.kill();
    const sent = stack.upstream.requests.filter(
      (r) => (r.path.includes('/deployments/web') || r.path.includes('/widgets/')) && isRealMutation(r),
    );
    const total = kubectlCommands.length + raw.length;
    const held = stillHeld + rawAnswers.filter((a) => a.status === 0).length;
    report('replicas stored as 0', sent.length, total, 'reached the cluster', `${held} held`);
    expect(sent).toEqual([]);
    expect(held).toBe(total);
    expect(stack.upstream.store.find('deployments.apps', 'default', 'web')?.spec).toMatchObject({
      replicas: 3,
    });
  });

  /** Previews recorded so far. */
  async function heldPreviews(): Promise<number> {
    return (await auditEvents(stack)).filter((e) => e.type === 'approval.preview').length;
  }
});

async function heldNow(stack: Stack): Promise<number> {
  const metrics = await gatewayRequest(stack, { method: 'GET', path: '/metrics', token: undefined });
  return Number(/^gatehouse_gateway_held_requests (\d+)/m.exec(metrics.body)?.[1] ?? Number.NaN);
}
