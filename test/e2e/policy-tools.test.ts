import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { namespace, pod } from '@gatehouse/testkit/kube-upstream';
import { runKubectl, startKubectl } from '@gatehouse/testkit/processes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../apps/cli/src/index.js';
import { type E2e, startE2e } from '../../apps/gateway/src/testing/e2e.js';
import { runCli as auditCli } from '../../packages/audit/src/cli/run.js';

/**
 * `gatehouse policy replay` and `stats` over an audit export of real traffic: the real kubectl through
 * the running gateway, approvals voted through the approvals store as the slackbot votes, and the
 * export written by `gatehouse-audit export`.
 */

const sre = { group: 'sre', approvals: 1 };
const POLICY = {
  default: 'allow',
  rules: [
    { name: 'namespace-delete', match: { verbs: ['delete'], resources: ['namespaces'] }, require: sre },
    {
      name: 'no-secrets',
      match: { resources: ['secrets'], verbs: ['get', 'list'] },
      deny: { reason: 'no secrets' },
    },
  ],
};
const NAMESPACES = ['team-a', 'team-b', 'team-c', 'team-d', 'team-e'];

let e: E2e;
let exportFile: string;

async function cli(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    env: {},
    now: Date.now,
  });
  return { code, stdout, stderr };
}

beforeAll(async () => {
  e = await startE2e({ policy: POLICY });
  for (const name of NAMESPACES) e.upstream.store.put(namespace(name));
  e.upstream.store.put(pod({ name: 'web-0', namespace: 'default' }));
  expect((await runKubectl(['get', 'pods', '-n', 'default'], { kubeconfig: e.kubeconfig })).code).toBe(0);
  expect((await runKubectl(['get', 'secrets', '-n', 'default'], { kubeconfig: e.kubeconfig })).code).not.toBe(
    0,
  );
  expect(
    (await runKubectl(['delete', 'pod', 'web-0', '-n', 'default'], { kubeconfig: e.kubeconfig })).code,
  ).toBe(0);
  // Five namespace deletes, each approved by bob the moment it appears.
  for (const name of NAMESPACES) {
    const kubectl = startKubectl(['delete', 'namespace', name], { kubeconfig: e.kubeconfig });
    const approval = await e.onePendingApproval();
    await e.slackbot.vote(approval.id, { userId: 'U0BOB', userName: 'bob', decision: 'approve' });
    expect((await kubectl.result(30_000)).code).toBe(0);
  }
  let out = '';
  const code = await auditCli(
    ['export', '--since', '1h', '--redis-url', e.redis.url, '--prefix', e.redis.prefix],
    {
      stdout: {
        write: (text: string) => {
          out += text;
        },
      },
      stderr: { write: () => undefined },
      env: {},
    },
  );
  expect(code).toBe(0);
  exportFile = join(e.dir, 'export.jsonl');
  await writeFile(exportFile, out);
}, 120_000);

afterAll(async () => {
  await e?.stop();
});

describe('gatehouse policy replay', () => {
  it('replaying the policy that ran changes nothing', async () => {
    const same = join(e.dir, 'same.yaml');
    await writeFile(same, JSON.stringify({ approverGroups: { sre: {} }, policy: POLICY }));
    const result = await cli('policy', 'replay', '--audit', exportFile, '--config', same);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain('changed: 0\n');
    expect(result.stdout).toMatch(/ {2}require +5 +5\n/);
    expect(result.stdout).toMatch(/ {2}deny +1 +1\n/);
    expect(result.stdout).toContain('  namespace-delete: 0 / 5 / 0\n');
  });

  it('a candidate that holds pod deletes and lets secrets be read shows exactly the requests that change', async () => {
    const candidate = join(e.dir, 'candidate.yaml');
    await writeFile(
      candidate,
      [
        'default: allow',
        'rules:',
        '  - { name: namespace-delete, match: { verbs: [delete], resources: [namespaces] }, require: { group: sre } }',
        '  - { name: pod-delete, match: { verbs: [delete], resources: [pods] }, require: { group: sre } }',
        '  - { name: secrets-trial, mode: audit, match: { resources: [secrets] }, deny: { reason: x } }',
      ].join('\n'),
    );
    const result = await cli('policy', 'replay', '--audit', exportFile, '--config', candidate);
    expect(result.code).toBe(0);
    const changes = result.stdout.split('changed: ')[1]!.split('\n');
    expect(changes[0]).toBe('2');
    expect(
      changes
        .slice(1, 3)
        .map((line) => line.replace(/^ {2}\S+ /, ''))
        .sort(),
    ).toEqual([
      'agent-oncall on kind: kubectl delete pod web-0 -n default: allow ((default)) -> require (pod-delete)',
      'agent-oncall on kind: kubectl get secrets -n default: deny (no-secrets) -> allow ((default))',
    ]);
    expect(result.stdout).toContain('  secrets-trial: 0 / 0 / 0, observed 1\n');
  });
});

describe('gatehouse policy stats', () => {
  it('per rule: held, approved, median, share within 10 s, approvers; flags the always-approved rule and the quick approver', async () => {
    const result = await cli('policy', 'stats', '--audit', exportFile, '--since', '7d');
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(
      /namespace-delete: held 5, approved 5, denied 0, expired 0; median \d+\.\ds; within 10 s 100%; approvers 1 {2}<- approved every time/,
    );
    expect(result.stdout).toMatch(/bob: 5, median \d+\.\ds, within 10 s 100% {2}<- approves in seconds/);
  });

  it('--since after the traffic counts nothing', async () => {
    const result = await cli(
      'policy',
      'stats',
      '--audit',
      exportFile,
      '--since',
      new Date(Date.now() + 60_000).toISOString(),
    );
    expect(result.stdout).not.toContain('namespace-delete');
  });
});
