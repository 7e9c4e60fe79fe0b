import { chmod, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type AgentConfig, type GatehouseConfig, loadConfig } from '@gatehouse/config';
import { pino } from 'pino';
import { createStaticTokenCheck, generateToken, hashToken } from '../auth/index.js';
import { GatewayError, GatewayErrorCode } from '../errors.js';
import { selfSignedFiles } from '../server-tls/index.js';
import { startGateway } from '../startup/index.js';
import { type KubeconfigCredential, renderKubeconfig } from './kubeconfig.js';

/** The process's streams and environment, injected so the CLI can be tested in-process. */
export interface CliIo {
  readonly env: NodeJS.ProcessEnv;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly readStdin: () => Promise<string>;
  /** Resolves when the process is asked to stop (SIGTERM/SIGINT). */
  readonly stopSignal: () => Promise<string>;
}

export const USAGE = `usage: gatehouse-gateway [command] [options]

commands:
  serve                       run the gateway (default)
  kubeconfig --agent <id> --cluster <name> --token <token|-> [--server https://host:port] [--ca <pem file>] [--out <file>]
                              print a ready kubeconfig for an agent with a static token (--out: write it
                              to <file>, mode 0600, only when everything checked out)
  kubeconfig --agent <id> --cluster <name> --token-file <absolute path> [--server …] [--ca …] [--out …]
                              the same for an agent with agents[].match: kubectl reads its identity
                              token from the file on every run (e.g. a projected ServiceAccount token)
  hash-token [<token>|-]      print the SHA-256 of a token, for agents[].tokenSha256
  token --agent <id>          generate a random token and print it with its hash

options:
  --config <path>             gatehouse.yaml (default: $GATEHOUSE_CONFIG, else ./gatehouse.yaml)
`;

const OPTIONS = {
  config: { type: 'string' },
  agent: { type: 'string' },
  cluster: { type: 'string' },
  token: { type: 'string' },
  'token-file': { type: 'string' },
  server: { type: 'string' },
  ca: { type: 'string' },
  out: { type: 'string', short: 'o' },
  help: { type: 'boolean', short: 'h' },
} as const;

function usageError(message: string): GatewayError {
  return new GatewayError(GatewayErrorCode.UsageInvalid, `${message}\n\n${USAGE}`);
}

function configPath(values: { config?: string | undefined }, env: NodeJS.ProcessEnv): string {
  return resolve(values.config ?? env.GATEHOUSE_CONFIG ?? 'gatehouse.yaml');
}

async function readSecret(value: string | undefined, io: CliIo, what: string): Promise<string> {
  const raw = value === undefined || value === '-' ? await io.readStdin() : value;
  const secret = raw.trim();
  if (!secret) throw usageError(`no ${what} given (pass it as an argument, or - to read stdin)`);
  return secret;
}

/** The URL agents reach the gateway at, when --server does not say. */
function defaultServer(config: GatehouseConfig): string {
  if (config.gateway.publicUrl) return config.gateway.publicUrl;
  const host = ['0.0.0.0', '::'].includes(config.gateway.host) ? 'localhost' : config.gateway.host;
  const scheme = config.gateway.tls.mode === 'plain-http' ? 'http' : 'https';
  return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${config.gateway.port}`;
}

async function kubeconfigCommand(
  values: Record<string, string | boolean | undefined>,
  io: CliIo,
): Promise<void> {
  const agentId = values.agent as string | undefined;
  const cluster = values.cluster as string | undefined;
  if (!agentId || !cluster) throw usageError('kubeconfig needs --agent and --cluster');
  const config = loadConfig(configPath(values, io.env), io.env);
  const agent = config.agents.find((candidate) => candidate.id === agentId);
  if (!agent)
    throw usageError(
      `agent ${agentId} is not in the config; known agents: ${config.agents.map((a) => a.id).join(', ')}`,
    );
  if (!config.clusters.some((candidate) => candidate.name === cluster)) {
    throw usageError(
      `cluster ${cluster} is not in the config; known clusters: ${config.clusters.map((c) => c.name).join(', ')}`,
    );
  }
  const credential = await kubeconfigCredential(agent, values, io);
  const caFile =
    (values.ca as string | undefined) ??
    (config.gateway.tls.mode === 'self-signed' ? selfSignedFiles(config.gateway.tls.dir).caFile : undefined);
  let caPem: string | undefined;
  if (caFile) {
    try {
      caPem = await readFile(caFile, 'utf8');
    } catch (error) {
      throw new GatewayError(
        GatewayErrorCode.TlsUnreadable,
        `cannot read the gateway CA ${caFile}: ${(error as Error).message}; start the gateway once so it creates it, or pass --ca`,
        { cause: error },
      );
    }
  }
  const server = (values.server as string | undefined) ?? defaultServer(config);
  const kubeconfig = renderKubeconfig({ agent: agentId, cluster, server, ...credential, caPem });
  const out = values.out as string | undefined;
  if (out === undefined) io.stdout(kubeconfig);
  else await writePrivateFile(resolve(out), kubeconfig);
}

/** A static token that the gateway would admit as this agent, or a token file for an agent admitted by `match`. */
async function kubeconfigCredential(
  agent: AgentConfig,
  values: Record<string, string | boolean | undefined>,
  io: CliIo,
): Promise<KubeconfigCredential> {
  const tokenFile = values['token-file'] as string | undefined;
  if (tokenFile !== undefined) {
    if (values.token !== undefined) throw usageError('pass --token or --token-file, not both');
    if (!agent.match) {
      throw usageError(
        `agent ${agent.id} has no match, so no identity token can be it; give it agents[].match ` +
          '(e.g. match: { provider: eks-prod, claims: { sub: "system:serviceaccount:agents:oncall" } }) or use --token',
      );
    }
    // kubectl resolves a relative tokenFile against the kubeconfig's directory, not the working one.
    if (!isAbsolute(tokenFile)) {
      throw usageError(
        `--token-file must be an absolute path, e.g. /var/run/secrets/gatehouse/token; got ${tokenFile}`,
      );
    }
    return { tokenFile };
  }
  const token = await readSecret(values.token as string | undefined, io, 'token');
  // A kubeconfig with a token the gateway would refuse only moves the failure to the agent.
  if (createStaticTokenCheck([agent])(token) === undefined) {
    throw usageError(
      agent.tokenSha256
        ? `that token does not match agents[${agent.id}].tokenSha256 (check it with: gatehouse-gateway hash-token -)`
        : `agent ${agent.id} has no static token (no tokenSha256); it comes with identity tokens: use --token-file`,
    );
  }
  return { token };
}

/**
 * Writes a file that holds a token: readable by its owner only, and complete or absent (written
 * beside it, then renamed), so a failed run never leaves an empty or half-written kubeconfig.
 */
async function writePrivateFile(path: string, content: string): Promise<void> {
  const partial = join(dirname(path), `.${basename(path)}.${process.pid}.partial`);
  try {
    await writeFile(partial, content, { mode: 0o600, flag: 'wx' });
    await chmod(partial, 0o600);
    await rename(partial, path);
  } catch (error) {
    await rm(partial, { force: true });
    throw new GatewayError(
      GatewayErrorCode.UsageInvalid,
      `cannot write ${path}: ${(error as Error).message}; choose another --out`,
      { cause: error },
    );
  }
}

async function serve(values: { config?: string | undefined }, io: CliIo): Promise<void> {
  const config = loadConfig(configPath(values, io.env), io.env);
  const logger = pino({
    level: io.env.LOG_LEVEL ?? 'info',
    base: { service: 'gatehouse-gateway' },
    redact: {
      paths: ['authorization', '*.authorization', 'headers.authorization', 'token', '*.token'],
      censor: '[REDACTED]',
    },
  });
  const gateway = await startGateway({ config, env: io.env, logger });
  const signal = await io.stopSignal();
  logger.info({ signal }, 'stopping');
  await gateway.close();
}

/** Runs one CLI invocation; resolves with the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    const { values, positionals } = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true });
    const [command = 'serve', ...rest] = positionals;
    if (values.help) {
      io.stdout(USAGE);
      return 0;
    }
    switch (command) {
      case 'serve':
        await serve(values, io);
        return 0;
      case 'kubeconfig':
        await kubeconfigCommand(values, io);
        return 0;
      case 'hash-token':
        io.stdout(`${hashToken(await readSecret(rest[0] ?? values.token, io, 'token'))}\n`);
        return 0;
      case 'token': {
        const agent = values.agent ?? 'agent-id';
        const token = generateToken();
        io.stdout(
          `token:       ${token}\n` +
            `tokenSha256: ${hashToken(token)}\n\n` +
            `# gatehouse.yaml\nagents:\n  - { id: ${agent}, tokenSha256: ${hashToken(token)}, owners: [] }\n`,
        );
        return 0;
      }
      default:
        throw usageError(`unknown command ${command}`);
    }
  } catch (error) {
    const coded = error as { code?: unknown; message?: unknown };
    const code = typeof coded.code === 'string' ? coded.code : 'GATEWAY_ERROR';
    io.stderr(`gatehouse-gateway: ${code}: ${String(coded.message ?? error)}\n`);
    return code === GatewayErrorCode.UsageInvalid ? 2 : 1;
  }
}
