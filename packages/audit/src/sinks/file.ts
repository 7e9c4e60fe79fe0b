import type { FileHandle } from 'node:fs/promises';
import { mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { AuditSink } from './types.js';

/** Appends JSON Lines to a file, opened once; each batch is one append so lines never interleave within a process. */
export function fileSink(path: string): AuditSink {
  let handle: Promise<FileHandle> | undefined;
  const opened = () => {
    handle ??= mkdir(dirname(path), { recursive: true }).then(() => open(path, 'a'));
    return handle;
  };
  return {
    name: `file:${path}`,
    async write(lines) {
      await (await opened()).appendFile(`${lines.join('\n')}\n`);
    },
    async close() {
      if (handle) await (await handle).close();
    },
  };
}
