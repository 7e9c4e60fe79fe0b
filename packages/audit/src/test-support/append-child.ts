/**
 * A separate writer process for the concurrency test: connects, prints `ready`, waits for
 * a line on stdin, then appends COUNT events tagged with WRITER in small batches.
 */
import { createInterface } from 'node:readline';
import { createAuditLog } from '../log/index.js';

const { REDIS_URL, PREFIX, WRITER, COUNT } = process.env;
const audit = createAuditLog({ redis: REDIS_URL!, prefix: PREFIX!, maxBatch: 7 });
await audit.flush();
process.stdout.write('ready\n');
await new Promise((resolve) => createInterface({ input: process.stdin }).once('line', resolve));

const pending: Promise<unknown>[] = [];
for (let n = 0; n < Number(COUNT); n += 1) {
  pending.push(audit.record({ type: 'grant.used', approvalId: `${WRITER}-${n}`, agent: WRITER! }));
  // Await now and then so batches of different sizes race the other writer.
  if (n % 13 === 0) await Promise.all(pending.splice(0));
}
await Promise.all(pending);
await audit.close();
process.stdout.write('done\n');
