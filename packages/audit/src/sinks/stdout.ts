import type { Writable } from 'node:stream';
import type { AuditSink } from './types.js';

/** JSON Lines on stdout, for a log shipper that collects container output. */
export function stdoutSink(out: Writable = process.stdout): AuditSink {
  return {
    name: 'stdout',
    write(lines) {
      return new Promise((resolve, reject) => {
        out.write(`${lines.join('\n')}\n`, (error) => (error ? reject(error) : resolve()));
      });
    },
    async close() {},
  };
}
