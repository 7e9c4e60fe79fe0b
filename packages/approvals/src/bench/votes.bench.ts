/**
 * Votes per second against the local Redis: `pnpm exec tsx --conditions=@gatehouse/source
 * packages/approvals/src/bench/votes.bench.ts [approvals] [concurrency]`. Uses a random prefix and
 * deletes its keys afterwards. Also times pages of 50 through the pending list while all wait. Each approval needs 3 approvals; every voter clicks twice (the second
 * click is a duplicate), so the mix includes the cheap refusal path.
 */
import { performance } from 'node:perf_hooks';
import { harness, openInput } from '../test-support/index.js';

const approvalCount = Number(process.argv[2] ?? 2000);
const concurrency = Number(process.argv[3] ?? 64);

async function pool<T>(tasks: (() => Promise<T>)[], width: number): Promise<void> {
  let next = 0;
  const run = async (): Promise<void> => {
    while (next < tasks.length) await tasks[next++]!();
  };
  await Promise.all(Array.from({ length: width }, run));
}

const h = harness();
try {
  let started = performance.now();
  const ids: string[] = [];
  await pool(
    Array.from({ length: approvalCount }, (_, i) => async () => {
      ids.push((await h.approvals.open(openInput({ agent: `agent-${i}`, approvalsNeeded: 3 }))).approval.id);
    }),
    concurrency,
  );
  const openSeconds = (performance.now() - started) / 1000;

  // A page of the pending list with all of them waiting (what `/gatehouse pending` does).
  started = performance.now();
  let cursor: string | undefined;
  let pages = 0;
  do {
    cursor = (await h.approvals.listPending({ cursor, limit: 50 })).nextCursor;
    pages++;
  } while (cursor !== undefined && pages < 100);
  const pageMs = (performance.now() - started) / pages;

  const votes = ids.flatMap((id) =>
    ['U1', 'U1', 'U2', 'U2', 'U3', 'U3'].map(
      (userId) => () => h.approvals.vote(id, { userId, decision: 'approve' }),
    ),
  );
  started = performance.now();
  await pool(votes, concurrency);
  const voteSeconds = (performance.now() - started) / 1000;
  const approved = await Promise.all(ids.map((id) => h.approvals.get(id)));
  if (approved.some((a) => a?.state !== 'approved')) throw new Error('an approval did not end approved');

  console.log(
    JSON.stringify({
      approvals: approvalCount,
      concurrency,
      opensPerSecond: Math.round(approvalCount / openSeconds),
      pendingPageOf50Ms: Number(pageMs.toFixed(2)),
      votesPerSecond: Math.round(votes.length / voteSeconds),
    }),
  );
} finally {
  await h.cleanup();
}
