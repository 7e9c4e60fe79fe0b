import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeKubeconfig } from '../ca/index.js';
import { TestkitErrorCode } from '../errors.js';
import { startKubeUpstream } from '../kube-upstream/index.js';
import { runKubectl, startKubectl, startNode } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-processes-'));
const script = (name: string, source: string): string => {
  const path = join(dir, name);
  writeFileSync(path, source);
  return path;
};

const SERVER = script(
  'server.mjs',
  `import { createServer } from 'node:net';
const server = createServer((s) => s.end()).listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  console.log('listening on ' + server.address().port + ' as ' + process.env.NAME);
});
process.on('SIGTERM', () => { console.log('bye'); server.close(); });`,
);
const STUBBORN = script(
  'stubborn.mjs',
  `process.on('SIGTERM', () => {}); console.log('ready'); setInterval(() => {}, 1000);`,
);
const CRASH = script('crash.mjs', `console.error('config is broken: missing clusters'); process.exit(2);`);

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('startNode', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let leftRunning = -1;

  it('waits for the readiness line, passes env, and stops with SIGTERM', async () => {
    const server = await startNode(SERVER, { env: { NAME: 'gw' }, ready: { line: /listening on \d+/ } });
    expect(server.output()).toMatch(/listening on \d+ as gw/);
    expect(server.running()).toBe(true);
    expect(await server.stop()).toEqual({ code: 0, signal: null });
    expect(server.stdout()).toContain('bye');
  });

  it('waits for a port to accept connections', async () => {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const server = await startNode(SERVER, { env: { PORT: String(port) }, ready: { port } });
    expect(server.running()).toBe(true);
    await server.stop();
  });

  it('escalates to SIGKILL when SIGTERM is ignored', async () => {
    const stubborn = await startNode(STUBBORN, { ready: { line: /ready/ } });
    expect(await stubborn.stop(200)).toEqual({ code: null, signal: 'SIGKILL' });
  });

  it('reports a process that exits before it is ready, with its output', async () => {
    await expect(startNode(CRASH, { ready: { line: /listening/ } })).rejects.toMatchObject({
      code: TestkitErrorCode.ProcessExited,
      message: expect.stringContaining('config is broken: missing clusters'),
    });
  });

  it('reports a process that never gets ready, and stops it', async () => {
    await expect(
      startNode(SERVER, { ready: { line: /never printed/ }, readyTimeoutMs: 300 }),
    ).rejects.toMatchObject({
      code: TestkitErrorCode.ProcessNotReady,
      message: expect.stringContaining('/never printed/'),
    });
  });

  it('leaves a process running at the end of a test…', async () => {
    const server = await startNode(SERVER, { ready: { line: /listening/ } });
    leftRunning = server.pid;
    expect(alive(leftRunning)).toBe(true);
  });

  it('…which the test kit stopped when that test finished', () => {
    expect(leftRunning).toBeGreaterThan(0);
    expect(alive(leftRunning)).toBe(false);
  });

  let leftByFailure = -1;
  it.fails('leaves a process running in a test that fails…', async () => {
    const server = await startNode(SERVER, { ready: { line: /listening/ } });
    leftByFailure = server.pid;
    expect('this test').toBe('failing');
  });

  it('…which is stopped all the same', () => {
    expect(leftByFailure).toBeGreaterThan(0);
    expect(alive(leftByFailure)).toBe(false);
  });
});

describe('runKubectl and startKubectl', () => {
  let upstream: Awaited<ReturnType<typeof startKubeUpstream>>;
  let kubeconfig: ReturnType<typeof writeKubeconfig>;
  beforeAll(async () => {
    upstream = await startKubeUpstream();
    kubeconfig = writeKubeconfig({
      server: upstream.url,
      caPem: upstream.caPem!,
      credentials: { token: 't' },
    });
  });
  afterAll(async () => {
    await upstream.close();
    kubeconfig.cleanup();
  });

  it('returns exit code, stdout and stderr', async () => {
    const ok = await runKubectl(['get', 'namespaces', '-o', 'name'], { kubeconfig: kubeconfig.path });
    expect(ok).toEqual({
      code: 0,
      stdout: 'namespace/default\nnamespace/kube-public\nnamespace/kube-system\n',
      stderr: '',
    });
    const bad = await runKubectl(['get', 'nosuchthing'], { kubeconfig: kubeconfig.path });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('the server doesn\'t have a resource type "nosuchthing"');
  });

  it('feeds stdin', async () => {
    const manifest = JSON.stringify({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'from-stdin' },
    });
    const result = await runKubectl(['apply', '-f', '-'], { kubeconfig: kubeconfig.path, stdin: manifest });
    expect(result).toMatchObject({ code: 0, stdout: 'configmap/from-stdin created\n' });
  });

  it('keeps a blocked kubectl running, then fails with a coded error after the timeout', async () => {
    const remove = upstream.intercept({ method: 'DELETE' }, { hang: true });
    try {
      const blocked = startKubectl(['delete', 'namespace', 'default'], { kubeconfig: kubeconfig.path });
      await upstream.waitFor({ method: 'DELETE' });
      expect(blocked.running()).toBe(true);
      await expect(blocked.result(300)).rejects.toMatchObject({ code: TestkitErrorCode.KubectlTimeout });
      await blocked.kill();
      expect(blocked.running()).toBe(false);
    } finally {
      remove();
    }
  });
});
