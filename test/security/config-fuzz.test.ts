import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  ConfigError,
  type GatehouseConfig,
  loadConfig,
  parseConfig,
} from '../../packages/config/src/index.js';
import { compilePolicy, parseAction } from '../../packages/policy/src/index.js';
import { report } from './support.js';

/**
 * The config loader under a fuzzer, for a fixed number of runs (never a time budget): whatever the
 * file holds, it either throws a ConfigError naming the problem or returns a config the services
 * can trust — token hashes that are real SHA-256 hex, holds that end before their request, a policy
 * that compiles against the configured groups and never allows what it cannot classify.
 * The action parser's own fuzz lives in packages/policy/src/parse/fuzz.test.ts (30,000+ runs).
 */

const RUNS = { text: 2000, mutations: 3000, policies: 1500 } as const;
const dir = mkdtempSync(join(tmpdir(), 'gatehouse-config-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const VALID = {
  redis: { url: 'redis://127.0.0.1:6379', keyPrefix: 'gatehouse' },
  gateway: {
    listen: '127.0.0.1:8443',
    holdTimeout: '2m',
    requestTtl: '30m',
    grantTtl: '10m',
    maxBodySize: '3MiB',
  },
  clusters: [{ name: 'prod', type: 'kubeconfig', kubeconfig: '/etc/kube/config', context: 'prod' }],
  identityProviders: [
    { name: 'eks-prod', issuer: 'https://oidc.eks.eu-west-1.amazonaws.com/id/ABC', audiences: ['gatehouse'] },
  ],
  agents: [
    { id: 'agent-oncall', tokenSha256: 'a'.repeat(64), owners: ['U0ALICE'] },
    { id: 'agent-pod', match: { provider: 'eks-prod', claims: { sub: 'system:serviceaccount:agents:pod' } } },
  ],
  approverGroups: { 'sre-oncall': { slackUsergroup: 'S0SRE' }, dba: { members: ['U0ERIN'] } },
  slack: { approverChannel: 'C0APPROVALS', usergroupCacheTtl: '60s' },
  audit: { sinks: [{ type: 'redis' }], bodies: 'hash' },
  policy: {
    default: 'allow',
    rules: [
      {
        name: 'prod-delete',
        match: { verbs: ['delete'], namespaces: ['prod-*'] },
        require: { group: 'sre-oncall', approvals: 1 },
      },
    ],
  },
};

/** Nested aliases: a few hundred bytes that expand to 10^9 nodes if a parser follows them blindly. */
const BILLION_LAUGHS = Array.from({ length: 9 }, (_, i) =>
  i === 0
    ? 'a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]'
    : `a${i}: &a${i} [${Array(10)
        .fill(`*a${i - 1}`)
        .join(', ')}]`,
).join('\n');

/** Whatever the loader returned must hold these; a violation is a config that loaded but is unsafe. */
function unsafe(config: GatehouseConfig): string | undefined {
  for (const agent of config.agents) {
    if (agent.tokenSha256 === undefined ? !agent.match : !/^[0-9a-f]{64}$/.test(agent.tokenSha256))
      return `agent ${agent.id} has token hash ${agent.tokenSha256} and match ${JSON.stringify(agent.match)}`;
    const provider = config.identityProviders.find((candidate) => candidate.name === agent.match?.provider);
    if (
      agent.match &&
      (!provider?.issuer.startsWith('https://') ||
        Object.values(agent.match.claims).some((v) => /^[*?]+$/.test(v)))
    )
      return `agent ${agent.id} matches tokens of an unknown or plain-http provider, or every token`;
  }
  for (const provider of config.identityProviders) {
    if (provider.audiences.length === 0) return `provider ${provider.name} accepts any audience`;
    if (provider.algorithms.some((algorithm) => !/^(RS|PS|ES)(256|384|512)$|^EdDSA$/.test(algorithm)))
      return `provider ${provider.name} accepts ${provider.algorithms.join(', ')}`;
  }
  if (config.gateway.holdTimeoutMs > config.gateway.requestTtlMs) return 'hold outlives its request';
  for (const ms of [config.gateway.requestTtlMs, config.gateway.grantTtlMs, config.gateway.maxBodyBytes]) {
    if (!Number.isFinite(ms) || ms <= 0) return `non-positive limit ${ms}`;
  }
  const policy = compilePolicy(config.policy, { knownGroups: Object.keys(config.approverGroups) });
  const unclassified = parseAction({ method: 'TRACE', path: '/api/v1/namespaces/x', query: '', headers: {} });
  if (policy.decide({ cluster: 'prod', agent: 'agent-oncall', action: unclassified }).effect === 'allow')
    return 'an unclassified request is allowed';
  return undefined;
}

/** The count line: how many ended neither refused nor loaded-and-safe, and the breakdown. */
function reportCounts(name: string, counts: Map<string, number>, runs: number): void {
  const bad = runs - (counts.get('loaded') ?? 0) - (counts.get('refused') ?? 0);
  report(name, bad, runs, 'escaped or unsafe', [...counts].map(([k, n]) => `${k} ${n}`).join(', '));
  expect(bad).toBe(0);
}

/** Runs the loader; counts how it ended, and fails on anything but a ConfigError or a safe config. */
function outcome(load: () => GatehouseConfig): 'loaded' | 'refused' | string {
  let config: GatehouseConfig;
  try {
    config = load();
  } catch (error) {
    return error instanceof ConfigError
      ? 'refused'
      : `escaped ${(error as Error)?.constructor?.name}: ${String(error)}`;
  }
  return unsafe(config) ?? 'loaded';
}

/** A random change at a random place of a document: delete, replace with anything, or add a field. */
const mutation = fc.record({
  path: fc.array(fc.oneof(fc.constantFrom(...allKeys(VALID)), fc.nat(3)), { minLength: 1, maxLength: 5 }),
  change: fc.oneof(
    fc.constant<{ kind: 'delete' }>({ kind: 'delete' }),
    fc.record({ kind: fc.constant('set' as const), value: fc.jsonValue() }),
    fc.record({
      kind: fc.constant('set' as const),
      value: fc.constantFrom(
        '',
        '0',
        '0s',
        '-1m',
        '1e309',
        'NaN',
        'Infinity',
        '10y',
        '3MiB',
        ' ',
        'A'.repeat(64),
        'a'.repeat(63),
        'deny',
        'allow',
        { require: { group: 'nobody' } },
        { require: { group: 'sre-oncall', approvals: 0 } },
        '__proto__',
        'constructor',
        null,
        [],
        {},
        2 ** 53,
        -0,
      ),
    }),
  ),
});

function allKeys(node: unknown, into = new Set<string>()): string[] {
  if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      into.add(key);
      allKeys(value, into);
    }
  }
  return [...into];
}

function mutate(
  document: unknown,
  path: (string | number)[],
  change: { kind: 'delete' } | { kind: 'set'; value: unknown },
) {
  const copy = structuredClone(document) as Record<string | number, unknown>;
  let node: Record<string | number, unknown> = copy;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (!next || typeof next !== 'object') return copy;
    node = next as Record<string | number, unknown>;
  }
  const last = path[path.length - 1]!;
  if (change.kind === 'delete') delete node[last];
  else node[last] = change.value;
  return copy;
}

describe('security: config loader fuzz', () => {
  it(`arbitrary file text (${RUNS.text} runs): only ConfigError escapes`, () => {
    const counts = new Map<string, number>();
    const file = join(dir, 'text.yaml');
    fc.assert(
      fc.property(
        fc.oneof(
          // The valid file with a few characters inserted, deleted or replaced.
          fc
            .array(
              fc.tuple(
                fc.nat(),
                fc.nat(2),
                fc.constantFrom(' ', '\n', ':', '-', '#', '"', "'", '{', '[', '*', '&', '0', 'a', '\t'),
              ),
              {
                minLength: 1,
                maxLength: 4,
              },
            )
            .map((edits) => {
              let text = stringify(VALID);
              for (const [at, op, char] of edits) {
                const i = at % (text.length + 1);
                text =
                  op === 0
                    ? text.slice(0, i) + char + text.slice(i)
                    : op === 1
                      ? text.slice(0, i) + text.slice(i + 1)
                      : text.slice(0, i) + char + text.slice(i + 1);
              }
              return text;
            }),
          fc.string({ maxLength: 200 }),
          fc.jsonValue().map((value) => stringify(value)),
          fc.constantFrom(
            '&a [*a]',
            '!!js/function "x"',
            '<<: *x',
            'a: &a {b: *a}',
            '- - - -',
            '%YAML 9.9\n---',
            '\u0000',
            '? [a]: b',
            BILLION_LAUGHS,
          ),
        ),
        (text) => {
          writeFileSync(file, text);
          const result = outcome(() => loadConfig(file, {}));
          counts.set(result, (counts.get(result) ?? 0) + 1);
          expect(result, text).toMatch(/^(loaded|refused)$/);
        },
      ),
      { numRuns: RUNS.text, seed: 11 },
    );
    reportCounts('config fuzz: file text', counts, RUNS.text);
  });

  it(`mutations of a valid config (${RUNS.mutations} runs): refused with a ConfigError, or loaded and safe`, () => {
    expect(outcome(() => parseConfig(VALID, { baseDir: dir, env: {} }))).toBe('loaded');
    const counts = new Map<string, number>();
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (changes) => {
        let document: unknown = VALID;
        for (const { path, change } of changes) document = mutate(document, path, change);
        const result = outcome(() => parseConfig(document, { baseDir: dir, env: {} }));
        counts.set(result, (counts.get(result) ?? 0) + 1);
        expect(result, JSON.stringify(document)).toMatch(/^(loaded|refused)$/);
      }),
      { numRuns: RUNS.mutations, seed: 12 },
    );
    reportCounts('config fuzz: mutations', counts, RUNS.mutations);
  });

  it(`random policies (${RUNS.policies} runs): a loaded policy never allows an unclassified request`, () => {
    const glob = fc.constantFrom('*', 'prod-*', 'x', '?', '**', '', 'a*b');
    const rule = fc.record({
      name: fc.stringMatching(/^[a-z][a-z0-9-]{0,6}$/),
      match: fc.record(
        {
          verbs: fc.subarray(['get', 'list', 'delete', 'exec', 'patch', '*', 'unknown']),
          namespaces: fc.array(glob, { maxLength: 2 }),
          resources: fc.array(fc.constantFrom('pods', '*', 'deployments.apps', '*.apps'), { maxLength: 2 }),
          nonResourceURLs: fc.array(fc.constantFrom('/healthz*', '*', '/'), { maxLength: 1 }),
          dryRun: fc.boolean(),
          scaleToZero: fc.boolean(),
        },
        { requiredKeys: [] },
      ),
      effect: fc.oneof(
        fc.constant({ allow: {} }),
        fc.constant({ allow: true }),
        fc.constant({ deny: { reason: 'no' } }),
        fc.record({
          require: fc.record({
            group: fc.constantFrom('sre-oncall', 'dba', 'ghost'),
            approvals: fc.integer({ min: -1, max: 12 }),
          }),
        }),
      ),
    });
    const policy = fc.record(
      {
        default: fc.oneof(
          fc.constantFrom('allow', 'deny', 'require', 'unclassified'),
          fc.constant({ require: { group: 'dba' } }),
        ),
        unclassified: fc.oneof(
          fc.constantFrom('allow', 'deny', 'open'),
          fc.constant({ require: { group: 'dba' } }),
          fc.constant({ allow: {} }),
        ),
        rules: fc.array(
          rule.map(({ effect, ...r }) => ({ ...r, ...effect })),
          { maxLength: 6 },
        ),
      },
      { requiredKeys: [] },
    );
    const counts = new Map<string, number>();
    fc.assert(
      fc.property(policy, (spec) => {
        const result = outcome(() => parseConfig({ ...VALID, policy: spec }, { baseDir: dir, env: {} }));
        counts.set(result, (counts.get(result) ?? 0) + 1);
        expect(result, JSON.stringify(spec)).toMatch(/^(loaded|refused)$/);
      }),
      { numRuns: RUNS.policies, seed: 13 },
    );
    reportCounts('config fuzz: policies', counts, RUNS.policies);
    expect(counts.get('loaded') ?? 0).toBeGreaterThan(0);
  });
});
