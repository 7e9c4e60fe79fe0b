import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { TestkitError, TestkitErrorCode } from '../errors.js';
import { track } from './cleanup.js';

/** When a started process counts as ready. */
export type Readiness =
  /** A line of stdout or stderr matches. */
  | { line: RegExp }
  /** A TCP connection to the port succeeds. */
  | { port: number; host?: string }
  /** Right after spawning. */
  | { immediately: true };

export interface StartProcessOptions {
  command: string;
  args?: readonly string[];
  /** Added to (or, with `inheritEnv: false`, replacing) this process's environment. */
  env?: Record<string, string | undefined>;
  /** @defaultValue true */
  inheritEnv?: boolean;
  cwd?: string;
  ready: Readiness;
  /** @defaultValue 15000 */
  readyTimeoutMs?: number;
  /** Label used in error messages. @defaultValue the command */
  name?: string;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ManagedProcess {
  readonly pid: number;
  /** Everything written to stdout and stderr so far, interleaved as received. */
  output(): string;
  stdout(): string;
  stderr(): string;
  /** Resolves when a line matching `pattern` has been printed (including earlier output). */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  readonly exited: Promise<ExitStatus>;
  /** Whether the process is still running. */
  running(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs` (default 5000); resolves with the exit status. */
  stop(graceMs?: number): Promise<ExitStatus>;
}

const tail = (text: string, max = 4000): string => (text.length > max ? `…${text.slice(-max)}` : text);

async function portOpen(port: number, host: string): Promise<boolean> {
  const socket = connect(port, host);
  try {
    await once(socket, 'connect');
    return true;
  } catch {
    return false;
  } finally {
    socket.destroy();
  }
}

/** Spawns a process, captures its output, and resolves once it is ready; it is always cleaned up. */
export async function startProcess(options: StartProcessOptions): Promise<ManagedProcess> {
  const name = options.name ?? options.command;
  const env = { ...(options.inheritEnv === false ? {} : process.env), ...options.env };
  const child: ChildProcess = spawn(options.command, [...(options.args ?? [])], {
    cwd: options.cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let all = '';
  let out = '';
  let err = '';
  const lineWaiters = new Set<() => void>();
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk;
    all += chunk;
    for (const wake of lineWaiters) wake();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    err += chunk;
    all += chunk;
    for (const wake of lineWaiters) wake();
  });
  let status: ExitStatus | undefined;
  const exited = new Promise<ExitStatus>((resolve) => {
    child.once('exit', (code, signal) => {
      status = { code, signal };
      resolve(status);
      for (const wake of lineWaiters) wake();
    });
    child.once('error', (error) => {
      all += `\n[spawn error] ${error.message}`;
      status = { code: null, signal: null };
      resolve(status);
    });
  });

  const stop = async (graceMs = 5000): Promise<ExitStatus> => {
    if (status) return status;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    const result = await exited;
    clearTimeout(timer);
    return result;
  };
  track(child, stop);

  const waitForLine = (pattern: RegExp, timeoutMs = 15_000): Promise<string> =>
    new Promise((resolve, reject) => {
      const check = () => {
        const line = all.split('\n').find((l) => pattern.test(l));
        if (line !== undefined) return finish(() => resolve(line));
        if (status) {
          return finish(() =>
            reject(
              new TestkitError(
                TestkitErrorCode.ProcessExited,
                `${name} exited (code ${status?.code}, signal ${status?.signal}) before printing ${pattern}; output:\n${tail(all)}`,
              ),
            ),
          );
        }
      };
      const timer = setTimeout(
        () =>
          finish(() =>
            reject(
              new TestkitError(
                TestkitErrorCode.ProcessNotReady,
                `${name} printed nothing matching ${pattern} within ${timeoutMs} ms; output:\n${tail(all)}`,
              ),
            ),
          ),
        timeoutMs,
      );
      const finish = (settle: () => void) => {
        clearTimeout(timer);
        lineWaiters.delete(check);
        settle();
      };
      lineWaiters.add(check);
      check();
    });

  const managed: ManagedProcess = {
    pid: child.pid ?? -1,
    output: () => all,
    stdout: () => out,
    stderr: () => err,
    waitForLine,
    exited,
    running: () => status === undefined,
    stop,
  };

  const timeoutMs = options.readyTimeoutMs ?? 15_000;
  const { ready } = options;
  if ('line' in ready) await waitForLine(ready.line, timeoutMs).catch(stopThen(stop));
  else if ('port' in ready) {
    const deadline = Date.now() + timeoutMs;
    while (!(await portOpen(ready.port, ready.host ?? '127.0.0.1'))) {
      if (status || Date.now() > deadline) {
        await stop();
        throw new TestkitError(
          status ? TestkitErrorCode.ProcessExited : TestkitErrorCode.ProcessNotReady,
          `${name} did not listen on port ${ready.port} within ${timeoutMs} ms (exit: ${JSON.stringify(status)}); output:\n${tail(all)}`,
        );
      }
      await sleep(50);
    }
  }
  return managed;
}

/** On a failed start, stop the process before passing the error on. */
const stopThen =
  (stop: () => Promise<unknown>) =>
  async (error: unknown): Promise<never> => {
    await stop();
    throw error;
  };

export interface StartNodeOptions extends Omit<StartProcessOptions, 'command' | 'args'> {
  /** Arguments after the entry script. */
  args?: readonly string[];
}

/** Starts `node <entry> ...args` with the running node binary (e.g. a built dist/main.js). */
export function startNode(entry: string, options: StartNodeOptions): Promise<ManagedProcess> {
  return startProcess({
    ...options,
    command: process.execPath,
    args: [entry, ...(options.args ?? [])],
    name: options.name ?? entry,
  });
}
