import { verifyChain } from '@gatehouse/audit';
import { ConfigError } from '@gatehouse/config';
import { namespace, pod } from '@gatehouse/testkit/kube-upstream';
import { runKubectl, waitUntil } from '@gatehouse/testkit/processes';
import { Agent, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { E2E_POLICY, type E2e, startE2e } from '../testing/e2e.js';

// Audit levels as an agent meets them: the real kubectl through the running gateway, the chain in real Redis.

let env: E2e | undefined;
afterEach(async () => {
  await env?.stop();
  env = undefined;
});

const POLICY = {
  default: 'allow',
  rules: [
    ...E2E_POLICY.rules,
    {
      name: 'kube-system-reads',
      match: { verbs: ['get', 'list'], namespaces: ['kube-system'] },
      auditLevel: 'None',
      allow: {},
    },
    {
      name: 'monitoring-reads',
      match: { verbs: ['get', 'list'], namespaces: ['monitoring'] },
      auditLevel: 'Metadata',
      allow: {},
    },
    {
      name: 'configmap-reads-watched',
      mode: 'warn',
      match: { resources: ['configmaps'], namespaces: ['kube-system'] },
      deny: { reason: 'kube-system configmaps are being locked down' },
    },
  ],
};

async function start() {
  env = await startE2e({ policy: POLICY });
  for (const name of ['kube-system', 'monitoring', 'default']) {
    env.upstream.store.put(namespace(name));
    env.upstream.store.put(pod({ name: 'web-0', namespace: name }));
  }
  return env;
}

async function kubectl(e: E2e, ...args: string[]) {
  const result = await runKubectl(args, { kubeconfig: e.kubeconfig });
  expect(result).toMatchObject({ code: 0 });
  return result;
}

/** The request.received events for a kubectl command, once the one of `sentinel` is in the chain too. */
async function receivedAfter(e: E2e, sentinel: string) {
  return waitUntil(`${sentinel} in the audit`, async () => {
    const events = (await e.auditEvents()).filter((event) => event.type === 'request.received');
    return events.some((event) => event.command === sentinel) && events;
  });
}

function headersOf(event: Record<string, unknown> | undefined): Record<string, string> {
  return (event?.request as { headers?: Record<string, string> } | undefined)?.headers ?? {};
}

async function unrecorded(e: E2e, rule: string): Promise<number | undefined> {
  const dispatcher = new Agent({ connect: { ca: e.caPem } });
  try {
    const text = await (await request(`${e.gateways[0]!.url}/metrics`, { dispatcher })).body.text();
    const line = text
      .split('\n')
      .find((l) => l.startsWith(`gatehouse_audit_unrecorded_requests_total{rule="${rule}"}`));
    return line === undefined ? undefined : Number(line.split(' ').pop());
  } finally {
    await dispatcher.close();
  }
}

describe('audit levels through the gateway', () => {
  it('a None rule keeps its requests out of the chain and counts them; the chain still verifies', async () => {
    const e = await start();
    await kubectl(e, 'get', 'pods', '-n', 'kube-system');
    await kubectl(e, 'get', 'pod', 'web-0', '-n', 'kube-system');
    // Recorded after both: once it is in the chain, theirs would be too, had they been recorded.
    await kubectl(e, 'get', 'pods', '-n', 'default');
    const events = await receivedAfter(e, 'kubectl get pods -n default');

    expect(events.filter((event) => String(event.command).includes('kube-system'))).toEqual([]);
    expect(await unrecorded(e, 'kube-system-reads')).toBe(2);
    expect(
      e.upstream.received({ method: 'GET', path: '/api/v1/namespaces/kube-system/pods/web-0' }),
    ).toHaveLength(1);
    const entries = await e.redis.redis.xrange(`${e.redis.prefix}:audit:log`, '-', '+');
    const verified = await verifyChain(entries.map(([, fields]) => fields[fields.indexOf('e') + 1]!));
    expect(verified).toMatchObject({ ok: true, count: entries.length });
  });

  it('a Metadata rule records who did what and the answer, without the headers and body; others stay in full', async () => {
    const e = await start();
    await kubectl(e, 'get', 'pods', '-n', 'monitoring');
    await kubectl(e, 'get', 'pods', '-n', 'default');
    const events = await receivedAfter(e, 'kubectl get pods -n default');

    const metadata = events.find((event) => event.command === 'kubectl get pods -n monitoring');
    expect(metadata).toMatchObject({
      agent: 'agent-oncall',
      cluster: 'kind',
      action: { verb: 'list', resource: 'pods', namespace: 'monitoring' },
      decision: { effect: 'allow', rule: 'monitoring-reads', auditLevel: 'Metadata' },
      response: { status: 200 },
      request: { method: 'GET', path: '/api/v1/namespaces/monitoring/pods' },
      kubectl: { command: 'kubectl get' },
    });
    expect(Object.keys(headersOf(metadata)).sort()).toEqual([
      'kubectl-command',
      'kubectl-session',
      'user-agent',
    ]);
    expect(metadata?.request).not.toHaveProperty('body');

    const full = events.find((event) => event.command === 'kubectl get pods -n default');
    expect(full?.decision).toEqual({ effect: 'allow', rule: null });
    expect(headersOf(full)).toHaveProperty('accept');
    expect(await unrecorded(e, 'monitoring-reads')).toBeUndefined();
  });

  it('a request a warn rule matches is recorded in full, though a None rule allows it', async () => {
    const e = await start();
    const result = await kubectl(e, 'get', 'configmaps', '-n', 'kube-system');
    expect(result.stderr).toContain('configmap-reads-watched');
    const events = await receivedAfter(e, 'kubectl get configmaps -n kube-system');
    const watched = events.find((event) => event.command === 'kubectl get configmaps -n kube-system');
    expect(watched?.decision).toMatchObject({ effect: 'allow', rule: 'kube-system-reads' });
    expect(watched?.decision).not.toHaveProperty('auditLevel');
    expect(headersOf(watched)).toHaveProperty('accept');
    expect(await unrecorded(e, 'kube-system-reads')).toBeUndefined();
  });

  it('a rule that would lower the record of held requests stops the gateway at config load', async () => {
    const lowering = {
      default: 'allow',
      rules: [
        {
          name: 'kube-system-deletes',
          match: { verbs: ['delete'], namespaces: ['kube-system'] },
          auditLevel: 'None',
          require: { group: 'sre' },
        },
      ],
    };
    const refused = await startE2e({ policy: lowering }).then(
      (started) => {
        env = started;
        return undefined;
      },
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(ConfigError);
    expect((refused as ConfigError).issues).toEqual([
      expect.stringMatching(
        /^policy rule "kube-system-deletes" \(rules\[0\]\): auditLevel: None would lower the audit record, which only an enforced allow rule may do; this rule holds requests for approval, and held and approved requests are always recorded in full/,
      ),
    ]);
  });
});
