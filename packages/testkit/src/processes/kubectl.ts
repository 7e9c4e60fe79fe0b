import { spawn } from 'node:child_process';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { TestkitError, TestkitErrorCode } from '../errors.js';
import { track } from './cleanup.js';

/** Where the real kubectl lives on the test machine. */
export const KUBECTL = process.env.KUBECTL ?? '/usr/bin/kubectl';

/**
 * kubectl 1.20 (Debian's kubernetes-client), which execs and port-forwards over SPDY/3.1 only.
 * scripts/install-test-clients.sh extracts it here with `dpkg-deb -x`, never over /usr/bin/kubectl.
 */
export const KUBECTL_1_20 =
  process.env.KUBECTL_1_20 ??
  join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'gatehouse/kubectl-1.20/usr/bin/kubectl');

export interface KubectlOptions {
  kubeconfig: string;
  /** Another kubectl build, e.g. {@link KUBECTL_1_20}. @defaultValue {@link KUBECTL} */
  binary?: string;
  /** Kill kubectl and fail after this long. @defaultValue 30000 */
  timeoutMs?: number;
  /** Written to kubectl's stdin, which is then closed. Without it stdin is closed at once. */
  stdin?: string | Buffer;
  env?: Record<string, string>;
}

export interface KubectlResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface BackgroundKubectl {
  readonly pid: number;
  readonly args: readonly string[];
  /** True while kubectl has not exited: a held request keeps it here. */
  running(): boolean;
  stdout(): string;
  stderr(): string;
  /** Resolves when kubectl exits; throws a coded error after `timeoutMs`, killing it. */
  result(timeoutMs?: number): Promise<KubectlResult>;
  /** Kills kubectl (SIGTERM) and resolves with what it printed. */
  kill(): Promise<KubectlResult>;
}

/** Starts kubectl without waiting, so a test can assert that it is still blocked, then await it. */
export function startKubectl(args: readonly string[], options: KubectlOptions): BackgroundKubectl {
  const child = spawn(options.binary ?? KUBECTL, ['--kubeconfig', options.kubeconfig, ...args], {
    env: {
      // kubectl caches discovery per host:port under ~/.kube/cache; test servers reuse loopback
      // ports, so a shared cache would answer a new server's discovery from an old one's. The cache
      // lives beside the kubeconfig: shared by one test's commands, never across tests.
      KUBECACHEDIR: join(dirname(options.kubeconfig), '.kube-cache'),
      ...process.env,
      ...options.env,
      KUBECONFIG: options.kubeconfig,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk;
  });
  // kubectl may exit before reading its stdin; that is not a test failure.
  child.stdin.on('error', () => undefined);
  child.stdin.end(options.stdin);
  let finished: KubectlResult | undefined;
  const done = new Promise<KubectlResult>((resolve) => {
    child.once('close', (code) => {
      finished = { code, stdout, stderr };
      resolve(finished);
    });
    child.once('error', (error) => {
      finished = { code: null, stdout, stderr: `${stderr}\n[spawn error] ${error.message}` };
      resolve(finished);
    });
  });
  const kill = async () => {
    if (!finished) child.kill('SIGTERM');
    return done;
  };
  track(child, kill);

  return {
    pid: child.pid ?? -1,
    args,
    running: () => finished === undefined,
    stdout: () => stdout,
    stderr: () => stderr,
    kill,
    async result(timeoutMs = options.timeoutMs ?? 30_000) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => {
          void kill();
          reject(
            new TestkitError(
              TestkitErrorCode.KubectlTimeout,
              `kubectl ${args.join(' ')} did not finish within ${timeoutMs} ms (killed); stdout:\n${stdout}\nstderr:\n${stderr}`,
            ),
          );
        }, timeoutMs);
      });
      try {
        return await Promise.race([done, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** Runs kubectl to completion: `runKubectl(['get', 'pods'], { kubeconfig })` → { code, stdout, stderr }. */
export function runKubectl(args: readonly string[], options: KubectlOptions): Promise<KubectlResult> {
  return startKubectl(args, options).result();
}
