import { parseArgs } from 'node:util';
import { policyStats } from '@gatehouse/audit';
import { parseDuration } from '@gatehouse/config';
import { PolicyRuleError, PolicySpecError } from '@gatehouse/policy';
import { BadAuditFileError, CliUsageError } from './errors.js';
import { readAuditExport } from './policy/audit-file.js';
import { checkRequest } from './policy/check.js';
import { loadPolicy } from './policy/load.js';
import { formatReplay, replay } from './policy/replay.js';
import { requestFromKubectl, requestFromLine } from './policy/request.js';
import { formatStats } from './policy/stats.js';

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Epoch milliseconds, for `--since 7d`. */
  readonly now: () => number;
}

/** 0: done; 2: bad usage, a bad file or a bad policy (the message says which and how to fix it). */
export type ExitCode = 0 | 2;

export const USAGE = `usage: gatehouse policy <command> [options]

commands:
  check [--config F] [--agent A] [--cluster C] -- kubectl <args>
  check [--config F] [--agent A] [--cluster C] --request 'METHOD /path[?query]'
        the decision, the rule, and for each rule whether it matched and why
        (kubectl: get, delete, scale --replicas, exec, attach, port-forward, logs)
  replay --audit export.jsonl --config candidate.yaml
        what the candidate would have allowed, held and denied over the recorded requests,
        against what the gateway did, with counts per rule and the requests that change
  stats --audit export.jsonl [--since 7d]
        per rule: held, approved, denied, expired, median time to decide, share approved within
        10 s, distinct approvers; flags rules approved every time and approvers who approve in seconds

options:
  --config F    gatehouse.yaml, or a file with only a policy section (default: $GATEHOUSE_CONFIG)
  --audit F     JSON Lines from gatehouse-audit export --since 7d (the gatehouse format)
  --agent A     agent id for check (default: agent)
  --cluster C   cluster name for check (default: default)
`;

const OPTIONS = {
  config: { type: 'string' },
  audit: { type: 'string' },
  agent: { type: 'string' },
  cluster: { type: 'string' },
  request: { type: 'string' },
  since: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function runCli(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  try {
    await run(argv, io);
    return 0;
  } catch (error) {
    if (
      error instanceof CliUsageError ||
      error instanceof BadAuditFileError ||
      error instanceof PolicyRuleError ||
      error instanceof PolicySpecError
    ) {
      io.stderr(`gatehouse: ${error.message}\n`);
      return 2;
    }
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      io.stderr(`gatehouse: ${(error as Error).message}\n`);
      return 2;
    }
    throw error;
  }
}

async function run(argv: readonly string[], io: CliIo): Promise<void> {
  const dash = argv.indexOf('--');
  const own = dash < 0 ? argv : argv.slice(0, dash);
  const kubectl = dash < 0 ? undefined : argv.slice(dash + 1);
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: [...own], options: OPTIONS, allowPositionals: true });
  } catch (error) {
    throw new CliUsageError(`${(error as Error).message}\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  const [group, command] = positionals;
  if (values.help || group === undefined) {
    io.stdout(USAGE);
    return;
  }
  if (group !== 'policy') throw new CliUsageError(`unknown command ${JSON.stringify(group)}\n${USAGE}`);
  const config = values.config ?? io.env.GATEHOUSE_CONFIG;
  switch (command) {
    case 'check': {
      if ((kubectl === undefined) === (values.request === undefined)) {
        throw new CliUsageError(
          "policy check needs either -- kubectl <args> or --request 'METHOD /path', e.g. gatehouse policy check -- kubectl delete ns payments",
        );
      }
      const request =
        values.request !== undefined ? requestFromLine(values.request) : requestFromKubectl(kubectl!);
      const policy = await loadPolicy(required(config, '--config (or $GATEHOUSE_CONFIG)'));
      io.stdout(
        checkRequest(policy, {
          request,
          agent: values.agent ?? 'agent',
          cluster: values.cluster ?? 'default',
        }),
      );
      return;
    }
    case 'replay': {
      const events = await readAuditExport(required(values.audit, '--audit export.jsonl'));
      const policy = await loadPolicy(required(config, '--config candidate.yaml'));
      io.stdout(formatReplay(replay(events, policy)));
      return;
    }
    case 'stats': {
      const events = await readAuditExport(required(values.audit, '--audit export.jsonl'));
      io.stdout(formatStats(policyStats(events, sinceMs(values.since, io.now()))));
      return;
    }
    default:
      throw new CliUsageError(`unknown policy command ${JSON.stringify(command ?? '')}\n${USAGE}`);
  }
}

function required(value: string | undefined, what: string): string {
  if (value === undefined || value === '') throw new CliUsageError(`missing ${what}\n${USAGE}`);
  return value;
}

function sinceMs(since: string | undefined, now: number): number {
  if (since === undefined) return 0;
  const duration = parseDuration(since);
  if (duration !== undefined) return now - duration;
  const time = Date.parse(since);
  if (Number.isNaN(time)) {
    throw new CliUsageError(
      `--since ${JSON.stringify(since)}: expected a duration (7d, 12h) or an ISO 8601 time`,
    );
  }
  return time;
}
