import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../run.js';
import { requestFromKubectl } from './request.js';

let dir: string;
let config: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-cli-'));
  config = join(dir, 'gatehouse.yaml');
  await writeFile(
    config,
    `approverGroups: { sre: { members: [U0BOB] } }
policy:
  default: allow
  rules:
    - name: prod-delete
      match: { verbs: [delete], namespaces: ["prod-*"] }
      require: { group: sre }
    - name: no-namespace-delete
      match: { verbs: [delete], resources: [namespaces] }
      require: { group: sre, approvals: 2, reason: deleting a namespace deletes everything in it }
    - name: kube-system-reads
      match: { verbs: [get, list], namespaces: [kube-system] }
      auditLevel: None
      allow: {}
    - name: bots-trial
      mode: warn
      match: { agents: ["bot-*"] }
      conditions: ["request.verb == 'delete'"]
      deny: { reason: bots do not delete }
`,
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function cli(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    env: {},
    now: Date.now,
  });
  return { code, stdout, stderr };
}

describe('gatehouse policy check', () => {
  it('a kubectl command: the decision, the rule, and why each rule matched or not', async () => {
    const result = await cli(
      'policy',
      'check',
      '--config',
      config,
      '--agent',
      'bot-1',
      '--',
      'kubectl',
      'delete',
      'ns',
      'payments',
    );
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toBe(
      [
        'request:  DELETE /api/v1/namespaces/payments',
        'command:  kubectl delete namespace payments (agent bot-1, cluster default)',
        'decision: require 2 approvals from sre, by rule no-namespace-delete: deleting a namespace deletes everything in it',
        'rules:',
        '  no     prod-delete          require: match.namespaces does not match',
        '  match  no-namespace-delete  require: every match field matches',
        '  no     kube-system-reads    allow: match.verbs does not match',
        '  match  bots-trial           deny (warn): every match field matches and every condition is true',
        'observed: warn rule bots-trial would deny: bots do not delete',
        '',
      ].join('\n'),
    );
  });

  it('--request with a URL', async () => {
    const result = await cli(
      'policy',
      'check',
      '--config',
      config,
      '--request',
      'DELETE /api/v1/namespaces/prod-api/pods/web-1',
    );
    expect(result.stdout).toContain('decision: require 1 approval from sre, by rule prod-delete');
    expect(result.stdout).toContain('  no     bots-trial           deny (warn): match.agents does not match');
  });

  it('says when the deciding allow rule lowers the audit record', async () => {
    const result = await cli(
      'policy',
      'check',
      '--config',
      config,
      '--',
      'kubectl',
      'get',
      'pods',
      '-n',
      'kube-system',
    );
    expect(result.stdout).toContain(
      'decision: allow, by rule kube-system-reads; audit level None: not recorded, only counted in gatehouse_audit_unrecorded_requests_total\n',
    );
  });

  it('says what it needs, with an example, and names the rule of a bad policy', async () => {
    expect(await cli('policy', 'check', '--config', config)).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('gatehouse policy check -- kubectl delete ns payments'),
    });
    expect(
      await cli('policy', 'check', '--config', config, '--', 'kubectl', 'apply', '-f', 'x.yaml'),
    ).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("otherwise pass --request 'METHOD /path'"),
    });
    const bad = join(dir, 'bad.yaml');
    await writeFile(
      bad,
      'rules: [{ name: images, match: {}, conditions: ["objet.x"], deny: { reason: r } }]\n',
    );
    expect(await cli('policy', 'check', '--config', bad, '--request', 'GET /api/v1/pods')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining(
        'policy rule "images" (rules[0]): conditions.0: "objet.x" unknown variable "objet"',
      ),
    });
  });
});

describe('kubectl command lines as requests', () => {
  it.each([
    [['kubectl', 'delete', 'ns', 'payments'], 'DELETE', '/api/v1/namespaces/payments', ''],
    [['get', 'deploy', '-n', 'prod', 'web'], 'GET', '/apis/apps/v1/namespaces/prod/deployments/web', ''],
    [['delete', 'pods', '--namespace=prod'], 'DELETE', '/api/v1/namespaces/prod/pods', ''],
    [
      ['exec', '-n', 'prod', 'web-1', '--', 'sh', '-c', 'id'],
      'POST',
      '/api/v1/namespaces/prod/pods/web-1/exec',
      'command=sh&command=-c&command=id',
    ],
    [
      ['port-forward', 'pod/web-1', '8080:80'],
      'POST',
      '/api/v1/namespaces/default/pods/web-1/portforward',
      '',
    ],
    [
      ['scale', 'deployment/web', '--replicas=0', '-n', 'prod'],
      'PATCH',
      '/apis/apps/v1/namespaces/prod/deployments/web/scale',
      '',
    ],
    [
      ['delete', 'crd', 'widgets.example.com'],
      'DELETE',
      '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com',
      '',
    ],
  ])('%j', (argv, method, path, query) => {
    expect(requestFromKubectl(argv)).toMatchObject({ method, path, query });
  });
});
