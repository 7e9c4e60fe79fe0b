/**
 * What waiting for a replica costs (issue 19: must-survive writes are confirmed with WAIT before
 * they are acted on): `pnpm --filter @gatehouse/approvals bench [operations]`. Starts a private
 * redis-server primary and replica on loopback, then times, one at a time, the two writes an
 * approver and the gateway wait on — a vote that approves, and the dispatch claim — with
 * `minReplicasToAck` 1 (WAIT) and 0 (none) in alternating rounds against the same primary.
 */
import { performance } from 'node:perf_hooks';
import { stopAllProcesses, waitUntil } from '@gatehouse/testkit/processes';
import { startRedisProcess } from '@gatehouse/testkit/redis';
import { Redis } from 'ioredis';
import { harness, openInput } from '../test-support/index.js';

const operations = Number(process.argv[2] ?? 300);
const ROUNDS = 4;

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};

const primary = await startRedisProcess();
try {
  await startRedisProcess(['--replicaof', '127.0.0.1', String(primary.port)]);
  const probe = new Redis(primary.url);
  await waitUntil('the replica in sync', async () =>
    /^slave0:.*state=online/m.test(await probe.info('replication')),
  );
  probe.disconnect();

  const timings = {
    wait: { vote: [] as number[], claim: [] as number[] },
    none: { vote: [] as number[], claim: [] as number[] },
  };
  for (let round = 0; round < ROUNDS; round++) {
    for (const mode of round % 2 === 0 ? (['wait', 'none'] as const) : (['none', 'wait'] as const)) {
      const h = harness({ redis: { url: primary.url, minReplicasToAck: mode === 'wait' ? 1 : 0 } });
      try {
        for (let i = 0; i < operations / ROUNDS; i++) {
          const { approval } = await h.approvals.open(openInput({ agent: `agent-${round}-${i}` }));
          let started = performance.now();
          await h.approvals.vote(approval.id, { userId: 'U0BOB', decision: 'approve' });
          timings[mode].vote.push(performance.now() - started);
          started = performance.now();
          if (!(await h.approvals.claimDispatch(approval.id, 'gw-bench', 'hold')))
            throw new Error('a claim did not win');
          timings[mode].claim.push(performance.now() - started);
        }
      } finally {
        await h.cleanup();
      }
    }
  }
  const line = (label: string, values: number[]) =>
    console.log(
      `${label} p50 ${percentile(values, 50).toFixed(2)} ms p99 ${percentile(values, 99).toFixed(2)} ms`,
    );
  console.log(`durable writes: ${operations} of each, one at a time, ${ROUNDS} alternating rounds`);
  line('vote with WAIT 1:', timings.wait.vote);
  line('vote without WAIT:', timings.none.vote);
  line('claim with WAIT 1:', timings.wait.claim);
  line('claim without WAIT:', timings.none.claim);
} finally {
  await stopAllProcesses();
}
