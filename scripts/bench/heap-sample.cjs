/**
 * Allocation per request, for `BENCH_GATEWAY_NODE_ARGS="--require ./scripts/bench/heap-sample.cjs"`:
 * V8's sampling heap profiler with the objects later collected kept in the profile (so it shows what
 * was allocated, not what stayed), and a count of the HTTP requests the process served. On SIGTERM (the
 * bench stopping the gateway) it writes heap-<pid>.heapprofile and heap-<pid>.requests to
 * BENCH_HEAP_SAMPLE_DIR (default: the OS temp dir); load the profile in Chrome DevTools (Memory tab)
 * and divide by the count.
 */
const { writeFileSync } = require('node:fs');
const { Session } = require('node:inspector');
const { Server } = require('node:net');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const EventEmitter = require('node:events');

const dir = process.env.BENCH_HEAP_SAMPLE_DIR || tmpdir();
let requests = 0;
const emit = EventEmitter.prototype.emit;
EventEmitter.prototype.emit = function countRequests(name, ...args) {
  if (name === 'request' && this instanceof Server) requests += 1;
  return emit.call(this, name, ...args);
};

const session = new Session();
session.connect();
session.post('HeapProfiler.enable');
session.post('HeapProfiler.startSampling', {
  samplingInterval: 4096,
  includeObjectsCollectedByMajorGC: true,
  includeObjectsCollectedByMinorGC: true,
});

// An in-process inspector session answers synchronously, so both files are written before the exit.
process.once('SIGTERM', () => {
  session.post('HeapProfiler.stopSampling', (error, result) => {
    if (!error) {
      writeFileSync(join(dir, `heap-${process.pid}.heapprofile`), JSON.stringify(result.profile));
      writeFileSync(join(dir, `heap-${process.pid}.requests`), String(requests));
    }
    process.exit(0);
  });
});
