import { describe, expect, it } from 'vitest';
import { parseAction } from '../parse/index.js';
import type { KubeRequest, PolicyContext } from '../types.js';
import { CEL_COST_LIMIT, compileCondition } from './condition.js';
import { celBindings } from './input.js';

const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

function context(request: KubeRequest, extra: Partial<PolicyContext> = {}): PolicyContext {
  return { cluster: 'prod', agent: 'agent-ci', action: parseAction(request), request, ...extra };
}

function evaluate(expression: string, ctx: PolicyContext) {
  const compiled = compileCondition(expression);
  if (!compiled.ok) throw new Error(compiled.message);
  if (ctx.action.kind === 'unclassified') throw new Error('unclassified');
  return compiled.condition.evaluate(celBindings(ctx, ctx.action));
}

const deployment = (images: string[], replicas = 3) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'payments', labels: { app: 'web' } },
  spec: {
    replicas,
    template: { spec: { containers: images.map((image, i) => ({ name: `c${i}`, image })) } },
  },
});

const createDeployment = (body: unknown, contentType = 'application/json'): KubeRequest => ({
  method: 'POST',
  path: '/apis/apps/v1/namespaces/payments/deployments',
  query: '',
  headers: { 'content-type': contentType },
  body: typeof body === 'string' ? new TextEncoder().encode(body) : json(body),
});

const foreignImage =
  "object.spec.template.spec.containers.exists(c, !c.image.startsWith('registry.internal/'))";

describe('conditions: CEL over the request', () => {
  it("the issue's example finds a container image from outside the internal registry", () => {
    const internal = context(
      createDeployment(deployment(['registry.internal/web:1', 'registry.internal/log:2'])),
    );
    const foreign = context(
      createDeployment(deployment(['registry.internal/web:1', 'docker.io/evil:latest'])),
    );
    expect(evaluate(foreignImage, internal)).toEqual({ result: false });
    expect(evaluate(foreignImage, foreign)).toEqual({ result: true });
  });

  it('reads YAML bodies as the API server does (application/yaml, server-side apply)', () => {
    const yaml = `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    spec:\n      containers:\n        - {name: c, image: docker.io/evil}\n`;
    expect(evaluate(foreignImage, context(createDeployment(yaml, 'application/yaml')))).toEqual({
      result: true,
    });
  });

  it('request carries verb, resource, subresource, namespace, name, dryRun, agent and cluster', () => {
    const ctx = context({
      method: 'PATCH',
      path: '/apis/apps/v1/namespaces/payments/deployments/web/scale',
      query: 'dryRun=All',
      headers: { 'content-type': 'application/merge-patch+json' },
      body: json({ spec: { replicas: 0 } }),
    });
    const expression = [
      "request.verb == 'patch'",
      "request.group == 'apps'",
      "request.resource == 'deployments'",
      "request.subresource == 'scale'",
      "request.namespace == 'payments'",
      "request.name == 'web'",
      'request.dryRun',
      "request.agent == 'agent-ci'",
      "request.cluster == 'prod'",
    ].join(' && ');
    expect(evaluate(expression, ctx)).toEqual({ result: true });
  });

  it('whole numbers are ints, as Kubernetes integers are (arithmetic with int literals works)', () => {
    const ctx = context(createDeployment(deployment(['a'], 2)));
    expect(evaluate('object.spec.replicas + 1 == 3', ctx)).toEqual({ result: true });
    expect(evaluate('object.spec.replicas > 1', ctx)).toEqual({ result: true });
  });

  it('a body key named __proto__ is an ordinary key', () => {
    const body = '{"metadata":{"labels":{"__proto__":"x","team":"a"}}}';
    const ctx = context(createDeployment(body));
    expect(
      evaluate("object.metadata.labels['__proto__'] == 'x' && object.metadata.labels.size() == 2", ctx),
    ).toEqual({
      result: true,
    });
  });

  it('object is null without a body; namespaceObject and oldObject where the gateway read them', () => {
    const del: KubeRequest = {
      method: 'DELETE',
      path: '/api/v1/namespaces/payments/pods/web-1',
      query: '',
      headers: {},
    };
    expect(evaluate('object == null && oldObject == null', context(del))).toEqual({ result: true });
    const withNamespace = context(del, {
      namespaceObject: { metadata: { name: 'payments', labels: { env: 'prod' } } },
      oldObject: { metadata: { labels: { tier: 'critical' } } },
    });
    expect(
      evaluate(
        "namespaceObject.metadata.labels.env == 'prod' && oldObject.metadata.labels.tier == 'critical'",
        withNamespace,
      ),
    ).toEqual({ result: true });
  });

  it('a missing field, a non-bool result and an unreadable body are errors (the rule then fails closed)', () => {
    const pod = context(createDeployment({ kind: 'Pod', spec: { containers: [] } }));
    expect(evaluate(foreignImage, pod)).toMatchObject({ error: expect.stringContaining('template') });
    expect(evaluate('object.kind', pod)).toEqual({ error: 'gave string, not a bool' });
    const garbage = context(createDeployment('{"spec": '));
    expect(evaluate('object != null', garbage)).toEqual({
      error: 'the request body could not be read as JSON or YAML',
    });
    // An expression that does not read the body does not care that it is unreadable.
    expect(evaluate("request.verb == 'create'", garbage)).toEqual({ result: true });
  });

  it('a request whose size takes a loop over its cost bound fails that condition, whatever it holds', () => {
    // Two nested loops are within the bound for ordinary objects; over a body of 2,000 values they are not.
    const nested = 'object.items.exists(x, object.items.exists(y, x == y + 1))';
    const small = context(createDeployment({ items: [1, 2] }));
    expect(evaluate(nested, small)).toEqual({ result: true });
    const big = context(createDeployment({ items: Array.from({ length: 2000 }, (_, i) => i) }));
    const outcome = evaluate(nested, big);
    expect(outcome).toMatchObject({
      error: expect.stringContaining(`more than the limit of ${CEL_COST_LIMIT}`),
    });
  });

  it('comprehension variables are not free variables; CEL type names are allowed', () => {
    expect(compileCondition('object.items.all(i, type(i) == int)')).toMatchObject({ ok: true });
    expect(compileCondition('object.items.all(i, j > 0)')).toMatchObject({
      ok: false,
      message: expect.stringContaining('unknown variable "j"'),
    });
  });
});
