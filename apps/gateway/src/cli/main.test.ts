import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sharedTestCa, writeKubeconfig } from '@gatehouse/testkit/ca';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashToken } from '../auth/index.js';
import { ensureSelfSigned } from '../server-tls/index.js';
import { type CliIo, runCli } from './main.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-cli-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function io(options: { stdin?: string; env?: NodeJS.ProcessEnv } = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const cli: CliIo = {
    env: { LOG_LEVEL: 'silent', ...options.env },
    stdout: (text) => out.push(text),
    stderr: (text) => err.push(text),
    readStdin: async () => options.stdin ?? '',
    stopSignal: async () => 'SIGTERM',
  };
  return { cli, stdout: () => out.join(''), stderr: () => err.join('') };
}

const TOKEN = 'gh_cli-test-token';

/** A config whose pieces tests replace to break one thing at a time. */
async function writeConfig(overrides: Record<string, string> = {}): Promise<string> {
  const upstream = writeKubeconfig({
    server: 'https://127.0.0.1:6443',
    caPem: sharedTestCa().certPem,
    credentials: { token: 'x' },
    dir,
    name: 'upstream',
  });
  const sections = {
    redis: `redis: { url: "redis://127.0.0.1:6379", keyPrefix: "gh-cli-${process.pid}" }`,
    gateway: `gateway: { listen: "127.0.0.1:0", tls: { mode: self-signed, dir: "${join(dir, 'tls')}" } }`,
    clusters: `clusters:\n  - { name: kind, type: kubeconfig, kubeconfig: "${upstream.path}" }`,
    agents: `agents:\n  - { id: agent-oncall, tokenSha256: ${hashToken(TOKEN)}, owners: [U0ALICE] }`,
    approverGroups: 'approverGroups: { sre: { members: [U0BOB] } }',
    audit: `audit: { sinks: [{ type: redis }], recordingsDir: "${join(dir, 'rec')}" }`,
    policy:
      'policy:\n  default: allow\n  rules:\n    - { name: ns-delete, match: { verbs: [delete], resources: [namespaces] }, require: { group: sre } }',
    ...overrides,
  };
  const path = join(dir, 'gatehouse.yaml');
  await writeFile(path, `${Object.values(sections).join('\n')}\n`);
  return path;
}

describe('hash-token and token', () => {
  it('hashes a token from stdin, trimming the newline', async () => {
    const run = io({ stdin: `${TOKEN}\n` });
    expect(await runCli(['hash-token', '-'], run.cli)).toBe(0);
    expect(run.stdout()).toBe(`${hashToken(TOKEN)}\n`);
  });

  it('generates a token and prints its hash and a config line', async () => {
    const run = io();
    expect(await runCli(['token', '--agent', 'agent-x'], run.cli)).toBe(0);
    const token = /token: +(\S+)/.exec(run.stdout())?.[1] ?? '';
    expect(run.stdout()).toContain(`tokenSha256: ${hashToken(token)}`);
    expect(run.stdout()).toContain('id: agent-x');
  });

  it('exits 2 with usage for an unknown command', async () => {
    const run = io();
    expect(await runCli(['frobnicate'], run.cli)).toBe(2);
    expect(run.stderr()).toContain('GATEWAY_USAGE_INVALID: unknown command frobnicate');
  });
});

describe('kubeconfig', () => {
  it('prints a kubeconfig with the cluster prefix, the self-signed CA and the token', async () => {
    const config = await writeConfig();
    const tls = await ensureSelfSigned(join(dir, 'tls'), ['localhost']);
    const run = io({ stdin: TOKEN });
    const code = await runCli(
      [
        'kubeconfig',
        '--config',
        config,
        '--agent',
        'agent-oncall',
        '--cluster',
        'kind',
        '--token',
        '-',
        '--server',
        'https://gw.example:8443',
      ],
      run.cli,
    );
    expect(run.stderr()).toBe('');
    expect(code).toBe(0);
    expect(run.stdout()).toContain('server: "https://gw.example:8443/clusters/kind"');
    expect(run.stdout()).toContain(`token: "${TOKEN}"`);
    expect(run.stdout()).toContain(Buffer.from(await readFile(tls.caFile, 'utf8')).toString('base64'));
  });

  it('writes tokenFile for an agent admitted by an identity provider, so kubectl re-reads a rotating token', async () => {
    const config = await writeConfig({
      agents:
        'identityProviders:\n  - { name: eks-prod, issuer: "https://oidc.example.com/id/X", audiences: [gatehouse] }\n' +
        'agents:\n  - { id: agent-pod, match: { provider: eks-prod, claims: { sub: "system:serviceaccount:agents:pod" } } }\n' +
        `  - { id: agent-oncall, tokenSha256: ${hashToken(TOKEN)} }`,
    });
    await ensureSelfSigned(join(dir, 'tls'), ['localhost']);
    const args = ['kubeconfig', '--config', config, '--cluster', 'kind'];
    const tokenFile = '/var/run/secrets/gatehouse/token';
    const run = io();
    expect(await runCli([...args, '--agent', 'agent-pod', '--token-file', tokenFile], run.cli)).toBe(0);
    expect(run.stdout()).toContain(`tokenFile: "${tokenFile}"`);
    expect(run.stdout()).not.toMatch(/^\s+token:/m);

    const refusals: [string[], string][] = [
      [['--agent', 'agent-oncall', '--token-file', tokenFile], 'agent agent-oncall has no match'],
      [['--agent', 'agent-pod', '--token-file', 'token'], '--token-file must be an absolute path'],
      [
        ['--agent', 'agent-pod', '--token-file', tokenFile, '--token', 'x'],
        'pass --token or --token-file, not both',
      ],
      [['--agent', 'agent-pod', '--token', 'x'], 'agent agent-pod has no static token (no tokenSha256)'],
    ];
    for (const [extra, message] of refusals) {
      const refused = io();
      expect(await runCli([...args, ...extra], refused.cli)).toBe(2);
      expect(refused.stderr()).toContain(message);
      expect(refused.stdout()).toBe('');
    }
  });

  it('refuses a token that is not the agent’s', async () => {
    const config = await writeConfig();
    const run = io();
    const code = await runCli(
      ['kubeconfig', '--config', config, '--agent', 'agent-oncall', '--cluster', 'kind', '--token', 'wrong'],
      run.cli,
    );
    expect(code).toBe(2);
    expect(run.stderr()).toContain('does not match agents[agent-oncall].tokenSha256');
    expect(run.stdout()).toBe('');
  });

  it('--out writes the kubeconfig readable by its owner only', async () => {
    const config = await writeConfig();
    await ensureSelfSigned(join(dir, 'tls'), ['localhost']);
    const out = join(dir, 'agent.kubeconfig');
    const run = io({ stdin: `${TOKEN}\n` });
    const args = ['kubeconfig', '--config', config, '--agent', 'agent-oncall', '--cluster', 'kind'];
    expect(await runCli([...args, '--token', '-', '--out', out], run.cli)).toBe(0);
    expect(run.stdout()).toBe('');
    expect(await readFile(out, 'utf8')).toContain(`token: "${TOKEN}"`);
    expect((await stat(out)).mode & 0o777).toBe(0o600);
  });

  it('--out writes nothing when the command fails (the README run with an unset $TOKEN)', async () => {
    const config = await writeConfig();
    const out = join(dir, 'agent.kubeconfig');
    const before = await readdir(dir);
    // `echo "$TOKEN" | … --token -` with TOKEN unset pipes a lone newline.
    const run = io({ stdin: '\n' });
    const args = ['kubeconfig', '--config', config, '--agent', 'agent-oncall', '--cluster', 'kind'];
    expect(await runCli([...args, '--token', '-', '--out', out], run.cli)).toBe(2);
    expect(run.stderr()).toContain('GATEWAY_USAGE_INVALID: no token given');
    expect(await readdir(dir)).toEqual(before);
  });
});

describe('serve: start-up errors name the problem before serving', () => {
  async function serveWith(overrides: Record<string, string>, env: NodeJS.ProcessEnv = {}) {
    const run = io({ env });
    const code = await runCli(['serve', '--config', await writeConfig(overrides)], run.cli);
    return { code, stderr: run.stderr() };
  }

  it('starts and stops cleanly with a good config', async () => {
    expect(await serveWith({})).toEqual({ code: 0, stderr: '' });
  });

  it('unknown cluster type', async () => {
    const result = await serveWith({
      clusters: 'clusters:\n  - { name: kind, type: gke, server: "https://x" }',
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('CONFIG_INVALID');
    expect(result.stderr).toContain('unknown cluster type');
  });

  it('missing role ARN', async () => {
    const result = await serveWith({
      clusters:
        'clusters:\n  - { name: prod, type: eks, server: "https://x.eks.amazonaws.com", region: us-east-1, clusterName: prod }',
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('clusters[0].roleArn');
    expect(result.stderr).toContain('EKS_ROLE_ARN');
  });

  it('unreadable cluster CA', async () => {
    const result = await serveWith({
      clusters: `clusters:\n  - { name: prod, type: eks, server: "https://x.eks.amazonaws.com", region: us-east-1, clusterName: prod, roleArn: "arn:aws:iam::123456789012:role/gatehouse", caFile: "${join(dir, 'missing-ca.pem')}" }`,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('UPSTREAM_CA_UNREADABLE');
    expect(result.stderr).toContain('missing-ca.pem');
  });

  it('Redis down, without its password', async () => {
    const result = await serveWith({ redis: 'redis: { url: "redis://:hunter2@127.0.0.1:1" }' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('GATEWAY_REDIS_UNREACHABLE');
    expect(result.stderr).toContain('redis://:***@127.0.0.1:1');
    expect(result.stderr).not.toContain('hunter2');
  });

  it('a bad policy rule, by rule and field', async () => {
    const result = await serveWith({
      policy:
        'policy:\n  rules:\n    - { name: prod-delete, match: { verbs: [destroy] }, require: { group: sre } }',
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('prod-delete');
    expect(result.stderr).toContain('verbs');
    expect(result.stderr).toContain('unknown verb "destroy"');
  });

  it('an unreadable gateway certificate', async () => {
    const result = await serveWith({
      gateway: `gateway: { listen: "127.0.0.1:0", tls: { mode: files, certFile: "${join(dir, 'no.crt')}", keyFile: "${join(dir, 'no.key')}" } }`,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('GATEWAY_TLS_UNREADABLE');
    expect(result.stderr).toContain('no.crt');
  });

  it('a kubeconfig cluster whose CA is not a certificate', async () => {
    const garbled = writeKubeconfig({
      server: 'https://127.0.0.1:6443',
      caPem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
      credentials: { token: 'x' },
      dir,
      name: 'garbled',
    });
    const result = await serveWith({
      clusters: `clusters:\n  - { name: kind, type: kubeconfig, kubeconfig: "${garbled.path}" }`,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('UPSTREAM_CA_UNREADABLE: cluster kind:');
    expect(result.stderr).toContain(`(context "garbled") of kubeconfig ${garbled.path}`);
  });
});
