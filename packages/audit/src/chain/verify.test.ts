import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { TimedEvent } from './link.js';
import { EMPTY_HEAD, hashEvent, linkEvents, serialiseEvent } from './link.js';
import { verifyChain } from './verify.js';

function chainOf(length: number): string[] {
  const events: TimedEvent[] = Array.from({ length }, (_, i) => ({
    type: 'upstream.response',
    cluster: 'prod',
    status: 200 + i,
    durationMs: i,
    time: new Date(Date.UTC(2026, 10, 26, 1, 0, i)).toISOString(),
  }));
  return linkEvents(EMPTY_HEAD, events).map(serialiseEvent);
}

function edit(line: string, patch: Record<string, unknown>, rehash = false): string {
  const event = { ...(JSON.parse(line) as Record<string, unknown>), ...patch };
  return JSON.stringify(rehash ? { ...event, hash: hashEvent(event) } : event);
}

describe('verifyChain', () => {
  it('accepts an intact chain and reports its head', async () => {
    const lines = chainOf(5);
    const last = JSON.parse(lines[4]!) as { hash: string };
    expect(await verifyChain(lines, { seq: 5, hash: last.hash })).toEqual({
      ok: true,
      count: 5,
      head: { seq: 5, hash: last.hash },
    });
  });

  it('links the first event to the genesis hash and numbers from 1', () => {
    const [first] = chainOf(1);
    expect(JSON.parse(first!)).toMatchObject({ seq: 1, prevHash: '0'.repeat(64) });
  });

  it('writes seq and time first and the hashes last, so a reader (and seqOfLine) sees order at once', () => {
    const [first] = chainOf(1);
    expect(Object.keys(JSON.parse(first!))).toEqual([
      'seq',
      'time',
      'type',
      'cluster',
      'status',
      'durationMs',
      'prevHash',
      'hash',
    ]);
  });

  it('hashes the same event the same whatever its key order', () => {
    const a = { seq: 1, time: 't', type: 'grant.used', approvalId: 'x', agent: 'a', prevHash: 'p' };
    const b = { agent: 'a', approvalId: 'x', prevHash: 'p', seq: 1, time: 't', type: 'grant.used' };
    expect(hashEvent(a)).toBe(hashEvent(b));
    expect(hashEvent(a)).not.toBe(hashEvent({ ...b, agent: 'b' }));
  });

  it('finds an edited event by its hash', async () => {
    const lines = chainOf(5);
    lines[2] = edit(lines[2]!, { status: 204 });
    expect(await verifyChain(lines)).toMatchObject({ ok: false, seq: 3, position: 3, problem: 'hash' });
  });

  it('finds an edited and re-hashed event at the link after it', async () => {
    const lines = chainOf(5);
    lines[2] = edit(lines[2]!, { status: 204 }, true);
    expect(await verifyChain(lines)).toMatchObject({ ok: false, seq: 4, problem: 'link' });
  });

  it('finds a deleted event, first, middle or last', async () => {
    const head = (lines: string[]) => {
      const last = JSON.parse(lines[lines.length - 1]!) as { seq: number; hash: string };
      return { seq: last.seq, hash: last.hash };
    };
    const lines = chainOf(5);
    const full = head(lines);
    expect(await verifyChain(lines.slice(1), full)).toMatchObject({ ok: false, seq: 1, problem: 'sequence' });
    expect(await verifyChain([...lines.slice(0, 2), ...lines.slice(3)], full)).toMatchObject({
      ok: false,
      seq: 3,
      problem: 'sequence',
    });
    expect(await verifyChain(lines.slice(0, 4), full)).toMatchObject({ ok: false, seq: 5, problem: 'head' });
  });

  it('finds two events swapped', async () => {
    const lines = chainOf(5);
    [lines[1], lines[2]] = [lines[2]!, lines[1]!];
    expect(await verifyChain(lines)).toMatchObject({ ok: false, seq: 2, position: 2, problem: 'sequence' });
  });

  it('finds a line that is not an event', async () => {
    const lines = chainOf(3);
    lines[1] = '{"seq":2';
    expect(await verifyChain(lines)).toMatchObject({ ok: false, seq: 2, problem: 'malformed' });
  });

  it('detects any single edit, deletion or swap anywhere in any chain', async () => {
    const tamper = fc.record({
      length: fc.integer({ min: 2, max: 30 }),
      at: fc.nat(),
      kind: fc.constantFrom('edit', 'rehash', 'delete', 'swap'),
    });
    await fc.assert(
      fc.asyncProperty(tamper, async ({ length, at, kind }) => {
        const lines = chainOf(length);
        const head = JSON.parse(lines[length - 1]!) as { seq: number; hash: string };
        const i = at % (kind === 'swap' ? length - 1 : length);
        if (kind === 'edit') lines[i] = edit(lines[i]!, { cluster: 'other' });
        if (kind === 'rehash') lines[i] = edit(lines[i]!, { cluster: 'other' }, true);
        if (kind === 'delete') lines.splice(i, 1);
        if (kind === 'swap') [lines[i], lines[i + 1]] = [lines[i + 1]!, lines[i]!];
        const result = await verifyChain(lines, { seq: head.seq, hash: head.hash });
        expect(result.ok).toBe(false);
      }),
    );
  });
});
