import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const DASHBOARD = join(ROOT, 'deploy/grafana/gatehouse-dashboard.json');
const run = promisify(execFile);

async function check(...files: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['deploy/check-dashboard.mjs', ...files], {
      cwd: ROOT,
    });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, output: failed.stdout + failed.stderr };
  }
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-dashboard-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

it('the shipped dashboard queries only metrics the apps declare', async () => {
  expect(await check()).toEqual({ code: 0, output: expect.stringContaining('0 problem(s)') });
});

it('names a misspelt metric, a raw histogram, a panel off the datasource variable and broken JSON', async () => {
  const text = await readFile(DASHBOARD, 'utf8');
  const edited = JSON.parse(
    text
      .replace('gatehouse_gateway_held_requests)', 'gatehouse_gateway_hold_requests)')
      .replace(
        'gatehouse_gateway_upstream_latency_seconds_bucket',
        'gatehouse_gateway_upstream_latency_seconds',
      ),
  ) as { panels: { datasource: unknown }[] };
  edited.panels[0]!.datasource = { type: 'prometheus', uid: 'my-prometheus' };
  await writeFile(join(dir, 'edited.json'), JSON.stringify(edited));
  await writeFile(join(dir, 'broken.json'), text.slice(0, -10));
  const { code, output } = await check(join(dir, 'edited.json'), join(dir, 'broken.json'));
  expect(code).toBe(1);
  expect(output).toContain(
    'panel 2 "Held now": gatehouse_gateway_hold_requests is not a metric any app declares',
  );
  expect(output).toContain(
    'gatehouse_gateway_upstream_latency_seconds is a histogram; query gatehouse_gateway_upstream_latency_seconds_bucket, _sum or _count',
  );
  expect(output).toContain('panel 1 "Requests / s": datasource is not $' + '{datasource}');
  expect(output).toContain('broken.json: not valid JSON');
});
