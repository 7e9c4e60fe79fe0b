import { setTimeout as sleep } from 'node:timers/promises';

/** What a command in the fake container sees. */
export interface ShellContext {
  readonly args: readonly string[];
  readonly namespace: string;
  readonly pod: string;
  /** Chunks the client sent on stdin; ends when the client closes stdin (or sent none). */
  readonly stdin: AsyncIterable<Buffer>;
  stdout(data: string | Buffer): void;
  stderr(data: string | Buffer): void;
  /** Aborted when the client goes away. */
  readonly signal: AbortSignal;
}

/** A command of the tiny shell; resolves with the exit code. */
export type ShellCommand = (context: ShellContext) => Promise<number> | number;

/** Splits `sh -c` text into words, honouring single and double quotes. */
export function words(line: string): string[] {
  const result: string[] = [];
  for (const match of line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g))
    result.push(match[1] ?? match[2] ?? match[3] ?? '');
  return result;
}

/**
 * The commands `kubectl exec` can run in the fake container: enough to prove output, input and exit
 * codes travel both ways. Unknown commands print to stderr and exit 127, like a shell.
 */
export const BUILTIN_COMMANDS: Record<string, ShellCommand> = {
  echo: ({ args, stdout }) => {
    stdout(`${args.join(' ')}\n`);
    return 0;
  },
  cat: async ({ stdin, stdout }) => {
    for await (const chunk of stdin) stdout(chunk);
    return 0;
  },
  hostname: ({ pod, stdout }) => {
    stdout(`${pod}\n`);
    return 0;
  },
  true: () => 0,
  false: () => 1,
  exit: ({ args }) => Number(args[0] ?? 0),
  sleep: async ({ args, signal }) => {
    await sleep(Number(args[0] ?? 0) * 1000, undefined, { signal }).catch(() => undefined);
    return 0;
  },
};

/** Runs argv in the tiny shell; `sh -c "<line>"` (and bash) runs the line's first command. */
export async function runCommand(
  argv: readonly string[],
  context: Omit<ShellContext, 'args'>,
  commands: Record<string, ShellCommand>,
): Promise<number> {
  const [program = '', ...args] = argv;
  if ((program === 'sh' || program === 'bash' || program.endsWith('/sh')) && args[0] === '-c') {
    return runCommand(words(args[1] ?? ''), context, commands);
  }
  if ((program === 'sh' || program === 'bash') && args.length === 0) return interactive(context, commands);
  const command = commands[program];
  if (!command) {
    context.stderr(`sh: ${program}: not found\n`);
    return 127;
  }
  return command({ ...context, args });
}

async function* nothing(): AsyncIterable<Buffer> {}

/** `sh` with no arguments: runs each stdin line as a command until `exit` or the end of stdin. */
async function interactive(
  context: Omit<ShellContext, 'args'>,
  commands: Record<string, ShellCommand>,
): Promise<number> {
  let pending = '';
  let last = 0;
  for await (const chunk of context.stdin) {
    pending += chunk.toString('utf8');
    let newline = pending.indexOf('\n');
    while (newline >= 0) {
      const line = words(pending.slice(0, newline));
      pending = pending.slice(newline + 1);
      newline = pending.indexOf('\n');
      if (line.length === 0) continue;
      if (line[0] === 'exit') return Number(line[1] ?? last);
      last = await runCommand(line, { ...context, stdin: nothing() }, commands);
    }
  }
  return last;
}
