/**
 * A separate writer process for the concurrency test: connects, prints `ready`, then for each
 * line on stdin appends the next ROUND events tagged with WRITER in small batches and prints
 * `round` (`done` after the last, COUNT in all). The parent starts each round in both writers
 * together, so they append at once, and only when both finished the last: their events
 * interleave in the chain however the machine schedules them.
 */
import { createInterface } from 'node:readline';
import { createAuditLog } from '../log/index.js';

const { REDIS_URL, PREFIX, WRITER, COUNT, ROUND } = process.env;
const audit = createAuditLog({ redis: REDIS_URL!, prefix: PREFIX!, maxBatch: 7 });
await audit.flush();
process.stdout.write('ready\n');

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
for (let start = 0; start < Number(COUNT); start += Number(ROUND)) {
  await lines.next();
  const pending: Promise<unknown>[] = [];
  for (let n = start; n < Math.min(start + Number(ROUND), Number(COUNT)); n += 1) {
    pending.push(audit.record({ type: 'grant.used', approvalId: `${WRITER}-${n}`, agent: WRITER! }));
    // Await now and then so batches of different sizes race the other writer.
    if (n % 13 === 0) await Promise.all(pending.splice(0));
  }
  await Promise.all(pending);
  process.stdout.write('round\n');
}
await audit.close();
process.stdout.write('done\n');
