import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { namespace, pod } from '@gatehouse/testkit/kube-upstream';
import { runKubectl, waitUntil } from '@gatehouse/testkit/processes';
import { Agent, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { type E2e, startE2e } from '../testing/e2e.js';

// Rule modes and conditions as an agent meets them: the real kubectl through the running gateway.

let env: E2e | undefined;
afterEach(async () => {
  await env?.stop();
  env = undefined;
});

const sre = { group: 'sre', approvals: 1 };
const foreignImage =
  "object.spec.template.spec.containers.exists(c, !c.image.startsWith('registry.internal/'))";

const POLICY = {
  default: 'allow',
  rules: [
    {
      name: 'pod-deletes-going-away',
      mode: 'warn',
      match: { verbs: ['delete'], resources: ['pods'] },
      deny: { reason: 'pods are deleted by their controllers; use kubectl rollout restart' },
    },
    {
      name: 'prod-delete-trial',
      mode: 'audit',
      match: { verbs: ['delete'], namespaces: ['default'] },
      require: sre,
    },
    {
      name: 'foreign-images',
      match: { verbs: ['create', 'update', 'patch'], resources: ['deployments.apps'] },
      conditions: [foreignImage],
      deny: { reason: 'images come from registry.internal' },
    },
  ],
};

async function start() {
  env = await startE2e({ policy: POLICY });
  env.upstream.store.put(namespace('payments'));
  env.upstream.store.put(pod({ name: 'web-0', namespace: 'default' }));
  return env;
}

async function applyDeployment(e: E2e, image: string) {
  const file = join(e.dir, `deployment-${image.replace(/\W/g, '-')}.json`);
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'payments' },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image }] } },
    },
  };
  await writeFile(file, JSON.stringify(deployment));
  return runKubectl(['apply', '-f', file], { kubeconfig: e.kubeconfig });
}

async function metric(e: E2e, labels: string): Promise<number | undefined> {
  const dispatcher = new Agent({ connect: { ca: e.caPem } });
  try {
    const text = await (await request(`${e.gateways[0]!.url}/metrics`, { dispatcher })).body.text();
    const line = text
      .split('\n')
      .find((l) => l.startsWith(`gatehouse_gateway_policy_rule_matches_total{${labels}}`));
    return line === undefined ? undefined : Number(line.split(' ').pop());
  } finally {
    await dispatcher.close();
  }
}

describe('policy rule modes through the gateway', () => {
  it('a warn rule lets the request through and kubectl prints its Warning naming the rule', async () => {
    const e = await start();
    const result = await runKubectl(['delete', 'pod', 'web-0', '-n', 'default'], {
      kubeconfig: e.kubeconfig,
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('pod "web-0" deleted');
    expect(result.stderr).toBe(
      'Warning: gatehouse policy rule pod-deletes-going-away (mode warn) would deny this request: pods are deleted by their controllers; use kubectl rollout restart\n',
    );
    expect(
      e.upstream.received({ method: 'DELETE', path: '/api/v1/namespaces/default/pods/web-0' }),
    ).toHaveLength(1);
    expect(await e.pending()).toEqual([]);
  });

  it('an audit rule changes nothing the agent sees; the audit records what it would have done', async () => {
    const e = await start();
    const result = await runKubectl(['delete', 'pod', 'web-0', '-n', 'default'], {
      kubeconfig: e.kubeconfig,
    });
    expect(result.code).toBe(0);
    expect(result.stderr).not.toContain('prod-delete-trial');
    const [received] = await waitUntil('the request in the audit', async () => {
      const events = await e.auditEvents();
      const found = events.filter(
        (event) =>
          event.type === 'request.received' && event.command === 'kubectl delete pod web-0 -n default',
      );
      return found.length === 1 && found;
    });
    expect(received?.decision).toEqual({
      effect: 'allow',
      rule: null,
      observed: [
        {
          rule: 'pod-deletes-going-away',
          mode: 'warn',
          effect: 'deny',
          reason: 'pods are deleted by their controllers; use kubectl rollout restart',
        },
        {
          rule: 'prod-delete-trial',
          mode: 'audit',
          effect: 'require',
          reason: 'rule prod-delete-trial needs 1 approval from sre',
        },
      ],
    });
    expect(await metric(e, 'rule="prod-delete-trial",mode="audit",effect="require"')).toBe(1);
    expect(await metric(e, 'rule="pod-deletes-going-away",mode="warn",effect="deny"')).toBe(1);
    expect(await metric(e, 'rule="(default)",mode="enforce",effect="allow"')).toBeGreaterThan(0);
  });

  it('a CEL condition reads the manifest kubectl sends: a foreign image is refused, an internal one applied', async () => {
    const e = await start();
    const refused = await applyDeployment(e, 'docker.io/evil:latest');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('gatehouse policy rule foreign-images forbids');
    expect(refused.stderr).toContain('images come from registry.internal');
    expect(e.upstream.store.find('deployments.apps', 'payments', 'web')).toBeUndefined();

    const applied = await applyDeployment(e, 'registry.internal/web:1');
    expect(applied).toMatchObject({ code: 0, stderr: '' });
    expect(e.upstream.store.find('deployments.apps', 'payments', 'web')).toBeDefined();
    expect(await metric(e, 'rule="foreign-images",mode="enforce",effect="deny"')).toBe(1);
  });
});
