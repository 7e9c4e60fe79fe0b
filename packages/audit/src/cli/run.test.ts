import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditKeys } from '../keys.js';
import { createAuditLog } from '../log/index.js';
import type { IsolatedRedis } from '../test-support/redis.js';
import { isolatedRedis, TEST_REDIS_URL } from '../test-support/redis.js';
import { recordApprovedDelete, STORY } from '../test-support/story.js';
import { type ExitCode, runCli } from './run.js';

const START = Date.UTC(2026, 10, 26, 1, 0, 0);

let ctx: IsolatedRedis;
let dir: string;
let file: string;
beforeEach(async () => {
  ctx = await isolatedRedis();
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-cli-'));
  file = join(dir, 'audit.jsonl');
  let now = START - 1000;
  const audit = createAuditLog({
    redis: ctx.redis,
    prefix: ctx.prefix,
    clock: () => (now += 1000),
    sinks: [{ type: 'redis' }, { type: 'file', path: file }],
  });
  await recordApprovedDelete(audit);
  await audit.record({ type: 'approval.expired', approvalId: 'apv-other' });
  await audit.close();
});
afterEach(async () => {
  await ctx.cleanup();
  await rm(dir, { recursive: true, force: true });
});

async function cli(...argv: string[]): Promise<{ code: ExitCode; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli([...argv, '--redis-url', TEST_REDIS_URL, '--prefix', ctx.prefix], {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env: {},
    now: () => START + 60_000,
  });
  return { code, stdout, stderr };
}

describe('gatehouse-audit', () => {
  it('show tells who asked, who approved when and what the cluster answered', async () => {
    const { code, stdout } = await cli('show', STORY.approvalId);
    expect(code).toBe(0);
    expect(stdout).toContain(`Approval ${STORY.approvalId}: agent-oncall on cluster payments-staging`);
    expect(stdout).toContain(STORY.command);
    expect(stdout).toContain('2026-11-26T01:00:02.000Z  #3      alice (U0ALICE) voted approve, refused');
    expect(stdout).toContain(
      'Outcome: approved by bob (U0BOB) at 2026-11-26T01:00:04.000Z; sent to the cluster at 2026-11-26T01:00:05.000Z, answered 200',
    );
    expect(stdout).not.toContain('apv-other');
    expect(stdout).not.toContain(STORY.token);
    expect(stdout).not.toContain('BROKEN');
  });

  it('show says loudly, and exits 1, when an event it prints was edited, even re-indexed', async () => {
    const keys = auditKeys(ctx.prefix);
    // Rewrite the answer (#7) to say 500: remove it and what follows, append the edited copy and
    // the rest again, and point the approval's index at the copy — what `show` read unchecked before.
    const entries = await ctx.redis.xrange(keys.log, '-', '+');
    const [answer, after] = [entries[6]!, entries[7]!];
    await ctx.redis.xdel(keys.log, answer[0], after[0]);
    const edited = answer[1][1]!.replace('"status":200', '"status":500');
    const copy = await ctx.redis.xadd(keys.log, '*', 'e', edited);
    await ctx.redis.xadd(keys.log, '*', 'e', after[1][1]!);
    await ctx.redis.lrem(keys.approval(STORY.approvalId), 0, answer[0]);
    await ctx.redis.rpush(keys.approval(STORY.approvalId), copy!);

    const { code, stdout, stderr } = await cli('show', STORY.approvalId);
    expect(code).toBe(1);
    const warning =
      '!!! AUDIT CHAIN BROKEN — this story cannot be trusted: broken at seq 7 (hash): seq 7 does not match its hash: it was edited. Run gatehouse-audit verify.';
    expect(stdout.startsWith(`${warning}\n`)).toBe(true);
    expect(stdout.trimEnd().endsWith(warning)).toBe(true);
    expect(stdout).toContain('answered 500');
    expect(stderr).toBe(`${warning}\n`);
  });

  it('show says loudly when one of its events was removed, from the log and its index', async () => {
    const keys = auditKeys(ctx.prefix);
    const dispatch = (await ctx.redis.xrange(keys.log, '-', '+'))[5]!;
    await ctx.redis.xdel(keys.log, dispatch[0]);
    await ctx.redis.lrem(keys.approval(STORY.approvalId), 0, dispatch[0]);

    const { code, stdout } = await cli('show', STORY.approvalId);
    expect(code).toBe(1);
    expect(stdout).toContain('broken at seq 6 (sequence): expected seq 6 at entry 6, found 7');
    expect(stdout).not.toContain('claimed for dispatch');
  });

  it('show names an event its index lists that is gone from the log', async () => {
    const keys = auditKeys(ctx.prefix);
    const last = (await ctx.redis.xrange(keys.log, '-', '+'))[6]!;
    await ctx.redis.xdel(keys.log, last[0]);

    const { code, stdout } = await cli('show', STORY.approvalId);
    expect(code).toBe(1);
    expect(stdout).toContain(`1 event(s) of this approval are gone from the log (stream ids ${last[0]})`);
  });

  it('show names an unknown approval and exits 2', async () => {
    const { code, stderr } = await cli('show', 'apv-nope');
    expect(code).toBe(2);
    expect(stderr).toContain('no audit events for approval apv-nope');
  });

  it('tail prints the latest events, one line each', async () => {
    const { code, stdout } = await cli('tail', '-n', '2');
    expect(code).toBe(0);
    expect(stdout.trimEnd().split('\n')).toEqual([
      `2026-11-26T01:00:06.000Z  #7  ${STORY.approvalId}  upstream.response  cluster payments-staging answered 200 in 84 ms`,
      '2026-11-26T01:00:07.000Z  #8  apv-other  approval.expired   expired without a decision',
    ]);
  });

  it('tail -f follows new events until stopped', async () => {
    const controller = new AbortController();
    let stdout = '';
    let caughtUp: () => void = () => {};
    const printedBacklog = new Promise<void>((resolve) => {
      caughtUp = resolve;
    });
    const running = runCli(['tail', '-n', '1', '-f', '--redis-url', TEST_REDIS_URL, '--prefix', ctx.prefix], {
      stdout: {
        write: (text: string) => {
          stdout += text;
          if (text.includes('#8')) caughtUp();
          if (text.includes('#9')) controller.abort();
        },
      },
      stderr: { write: () => true },
      env: {},
      signal: controller.signal,
    });
    await printedBacklog;
    const audit = createAuditLog({ redis: ctx.redis, prefix: ctx.prefix });
    await audit.record({ type: 'grant.used', approvalId: 'apv-late', agent: 'agent-oncall' });
    await audit.close();
    expect(await running).toBe(0);
    expect(
      stdout
        .trimEnd()
        .split('\n')
        .map((line) => line.split('  ')[1]),
    ).toEqual(['#8', '#9']);
    expect(stdout).toContain('#9  apv-late  grant.used');
  });

  it('export --since prints JSON Lines of the events from that time', async () => {
    const { code, stdout } = await cli('export', '--since', '2026-11-26T01:00:05Z');
    expect(code).toBe(0);
    expect(
      stdout
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line).seq),
    ).toEqual([6, 7, 8]);
    const relative = await cli('export', '--since', '56s');
    expect(
      relative.stdout
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line).seq),
    ).toEqual([5, 6, 7, 8]);
    const bad = await cli('export', '--since', 'yesterday');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--since "yesterday" is neither an ISO time');
  });

  it('verify exits 0 on an intact log and 1 naming the first broken link', async () => {
    expect(await cli('verify')).toMatchObject({
      code: 0,
      stdout: expect.stringContaining('intact: 8 events'),
    });
    const { log } = auditKeys(ctx.prefix);
    const entries = await ctx.redis.xrange(log, '-', '+');
    await ctx.redis.xdel(log, entries[5]![0]);
    const broken = await cli('verify');
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain(
      'BROKEN at seq 6 (entry 6, sequence): expected seq 6 at entry 6, found 7',
    );
  });

  it('verify --file checks a file sink', async () => {
    expect(await cli('verify', '--file', file)).toMatchObject({ code: 0 });
    const lines = (await readFile(file, 'utf8')).split('\n');
    lines[1] = lines[1]!.replace('"approvalsNeeded":1', '"approvalsNeeded":0');
    await writeFile(file, lines.join('\n'));
    expect(await cli('verify', '--file', file)).toMatchObject({
      code: 1,
      stdout: expect.stringContaining('BROKEN at seq 2 (entry 2, hash)'),
    });
  });

  it('rejects an unknown command', async () => {
    const { code, stderr } = await cli('frobnicate');
    expect(code).toBe(2);
    expect(stderr).toContain('unknown command "frobnicate"');
  });
});
