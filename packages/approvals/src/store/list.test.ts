import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../errors.js';
import { type Harness, harness, openInput } from '../test-support/index.js';

let h: Harness;
beforeEach(() => {
  h = harness();
});
afterEach(async () => {
  await h.cleanup();
});

async function openMany(count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < count; start += 250) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(250, count - start) }, (_, i) => {
        // Half share one millisecond, so ties must not break the pagination.
        if ((start + i) % 2 === 0) h.clock.advance(1);
        return h.approvals.open(openInput({ agent: `agent-${start + i}` }));
      }),
    );
    ids.push(...batch.map((r) => r.approval.id));
  }
  return ids;
}

describe('listPending', () => {
  it('pages through 5,000 pending requests exactly once each, oldest first', async () => {
    await openMany(5000);
    expect(await h.approvals.countPending()).toBe(5000);
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    let lastCreated = 0;
    do {
      const page = await h.approvals.listPending({ cursor, limit: 200 });
      for (const item of page.items) {
        expect(item.createdAt).toBeGreaterThanOrEqual(lastCreated);
        expect(item.request.bodyBase64).toBeUndefined();
        lastCreated = item.createdAt;
        seen.push(item.id);
      }
      cursor = page.nextCursor;
      pages++;
    } while (cursor !== undefined);
    expect(pages).toBe(25);
    expect(new Set(seen).size).toBe(5000);
  });

  it('lists newest first, skips decided ones, and tolerates removals under the cursor', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) {
      h.clock.advance(1);
      ids.push((await h.approvals.open(openInput({ agent: `agent-${i}` }))).approval.id);
    }
    const first = await h.approvals.listPending({ limit: 3, order: 'newest' });
    expect(first.items.map((a) => a.id)).toEqual(ids.slice(-3).reverse());
    // Decide the item the cursor points at and one on the next page.
    await h.approvals.vote(ids[7]!, { userId: 'U0BOB', decision: 'deny' });
    await h.approvals.vote(ids[5]!, { userId: 'U0BOB', decision: 'approve' });
    const second = await h.approvals.listPending({ limit: 3, order: 'newest', cursor: first.nextCursor });
    expect(second.items.map((a) => a.id)).toEqual([ids[6], ids[4], ids[3]]);
    expect(await h.approvals.countPending()).toBe(8);
  });

  it('returns an empty last page when nothing waits, and checks the limit', async () => {
    expect(await h.approvals.listPending({ limit: 50 })).toEqual({ items: [], nextCursor: undefined });
    await expect(h.approvals.listPending({ limit: 0 })).rejects.toBeInstanceOf(InvalidInputError);
  });
});
