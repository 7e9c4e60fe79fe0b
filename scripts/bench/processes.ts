import { type ChildProcess, fork, spawn } from 'node:child_process';
import { once } from 'node:events';
import { openSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CALLGRIND, callgrindArgs, VALGRIND } from './callgrind.js';

/**
 * Processes of the benchmark. Output goes to files, never to pipes held in memory: the gateway
 * logs a line per request, as in production, and a pipe would put that cost in this process.
 */

export const ROOT = join(import.meta.dirname, '..', '..');

export interface Service {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  readonly logFile: string;
  /** Under BENCH_CALLGRIND=1, a measured process's callgrind output file (see callgrind.ts). */
  readonly callgrindOut?: string;
  stop(): Promise<void>;
}

async function portOpen(port: number): Promise<boolean> {
  const socket = connect(port, '127.0.0.1');
  try {
    await once(socket, 'connect');
    return true;
  } catch {
    return false;
  } finally {
    socket.destroy();
  }
}

async function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

function failIfExited(child: ChildProcess, name: string, logFile: string): void {
  if (child.exitCode !== null || child.signalCode !== null) {
    const log = readFileSync(logFile, 'utf8').slice(-3000);
    throw new Error(`${name} exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${log}`);
  }
}

interface StartOptions {
  args?: readonly string[];
  env: Record<string, string>;
  logDir: string;
  ready: { port: number } | { line: RegExp };
  /** A proxy whose cost per request is measured: run under callgrind when BENCH_CALLGRIND=1. */
  measured?: boolean;
}

/** How long a process may take to be ready: much longer under valgrind. */
const readyMs = (underValgrind: boolean) => (underValgrind ? 300_000 : 20_000);

/** Runs a built entry point with plain node (no loader), ready when `readyPort` accepts or a line appears. */
export function startBuilt(
  name: string,
  script: string,
  options: StartOptions & { nodeArgs?: readonly string[] },
): Promise<Service> {
  const { nodeArgs = [], args = [], ...rest } = options;
  return startProgram(name, process.execPath, { ...rest, args: [...nodeArgs, script, ...args] });
}

/** Runs a program (as `user` when given), ready as startBuilt's. */
export async function startProgram(
  name: string,
  executable: string,
  options: StartOptions & { user?: { uid: number; gid: number } },
): Promise<Service> {
  const logFile = join(options.logDir, `${name}.log`);
  const fd = openSync(logFile, 'a');
  const callgrindOut = CALLGRIND && options.measured ? join(options.logDir, `${name}.callgrind`) : undefined;
  const [command, args] = callgrindOut
    ? [VALGRIND, [...callgrindArgs(callgrindOut), executable, ...(options.args ?? [])]]
    : [executable, options.args ?? []];
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', fd, fd],
    ...options.user,
  });
  const timeoutMs = readyMs(callgrindOut !== undefined);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    failIfExited(child, name, logFile);
    const ready =
      'port' in options.ready
        ? await portOpen(options.ready.port)
        : options.ready.line.test(readFileSync(logFile, 'utf8'));
    if (ready) break;
    if (Date.now() > deadline) {
      await stopChild(child);
      throw new Error(`${name} was not ready within ${timeoutMs / 1000} s; see ${logFile}`);
    }
    await sleep(100);
  }
  return { name, pid: child.pid ?? 0, child, logFile, callgrindOut, stop: () => stopChild(child) };
}

/** A message a bench child process sends over IPC. */
export interface ChildMessage {
  readonly type: string;
}

export interface Helper extends Service {
  /** The child's first message, `{ type: 'ready', … }`. */
  readonly ready: { readonly type: string; readonly [key: string]: unknown };
  /** Sends a command and resolves with the first message of `replyType`. */
  ask<T extends ChildMessage>(command: object, replyType: string, timeoutMs?: number): Promise<T>;
  /** Resolves with the next message of this type (already-queued ones first). */
  next<T extends ChildMessage>(type: string, timeoutMs?: number): Promise<T>;
  /** Every message of this type received so far. */
  received<T extends ChildMessage>(type: string): T[];
}

/** One of this directory's TypeScript helpers in its own process, talking over IPC. */
export async function startHelper(
  name: string,
  file: string,
  options: {
    env?: Record<string, string>;
    logDir: string;
    measured?: boolean;
    /** Node flags before the loader's (node-flags.ts). */
    nodeArgs?: readonly string[];
  },
): Promise<Helper> {
  const logFile = join(options.logDir, `${name}.log`);
  const fd = openSync(logFile, 'a');
  const nodeArgs = [...(options.nodeArgs ?? []), '--import', 'tsx', '--conditions=@gatehouse/source'];
  const callgrindOut = CALLGRIND && options.measured ? join(options.logDir, `${name}.callgrind`) : undefined;
  const child = fork(join(import.meta.dirname, file), [], {
    cwd: ROOT,
    env: { ...process.env, ...options.env },
    ...(callgrindOut
      ? { execPath: VALGRIND, execArgv: [...callgrindArgs(callgrindOut), process.execPath, ...nodeArgs] }
      : { execArgv: nodeArgs }),
    stdio: ['ignore', fd, fd, 'ipc'],
  });
  const messages: ChildMessage[] = [];
  const waiters = new Set<() => void>();
  child.on('message', (message: ChildMessage) => {
    messages.push(message);
    for (const wake of [...waiters]) wake();
  });
  const cursor = new Map<string, number>();
  const next = <T extends ChildMessage>(type: string, timeoutMs = 120_000): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const check = () => {
        const from = cursor.get(type) ?? 0;
        const index = messages.findIndex((message, i) => i >= from && message.type === type);
        if (index >= 0) {
          cursor.set(type, index + 1);
          done();
          resolve(messages[index] as T);
          return true;
        }
        if (child.exitCode !== null || child.signalCode !== null) {
          done();
          reject(new Error(`${name} exited waiting for ${type}; see ${logFile}`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${name} sent no ${type} within ${timeoutMs} ms; see ${logFile}`));
      }, timeoutMs);
      const onExit = () => check();
      const done = () => {
        clearTimeout(timer);
        waiters.delete(wake);
        child.off('exit', onExit);
      };
      const wake = () => void check();
      if (check()) return;
      waiters.add(wake);
      child.on('exit', onExit);
    });
  const ready = await next<Helper['ready']>('ready', callgrindOut ? readyMs(true) : 30_000);
  return {
    ready,
    name,
    pid: child.pid ?? 0,
    child,
    logFile,
    callgrindOut,
    stop: () => stopChild(child),
    next,
    received: <T extends ChildMessage>(type: string) => messages.filter((m) => m.type === type) as T[],
    ask: <T extends ChildMessage>(command: object, replyType: string, timeoutMs?: number) => {
      child.send(command);
      return next<T>(replyType, timeoutMs);
    },
  };
}

/** Resident set size of a process in MB, from /proc (Linux). */
export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!match) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) / 1024;
}

/** Samples a process's RSS every `everyMs` until stopped; returns the peak seen. */
export function sampleRss(pid: number, everyMs = 20): { stop(): number } {
  let peak = rssMb(pid);
  const timer = setInterval(() => {
    peak = Math.max(peak, rssMb(pid));
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      peak = Math.max(peak, rssMb(pid));
      return peak;
    },
  };
}

/** CPU time (user + system) a process has used so far, in ms, from /proc/<pid>/stat (100 ticks/s). */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name; utime and stime are the 14th and 15th overall.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
