import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { PRELUDE } from './prelude.js';

export interface LuaScript {
  readonly name: string;
  readonly numberOfKeys: number;
  /** The script body; the shared prelude is prepended. */
  readonly lua: string;
}

/** Runs scripts with EVALSHA, falling back to EVAL (which caches it) after a Redis restart or SCRIPT FLUSH. */
export class ScriptRunner {
  readonly #client: Redis;
  readonly #sources = new Map<LuaScript, { source: string; sha: string }>();

  constructor(client: Redis) {
    this.#client = client;
  }

  async run(
    script: LuaScript,
    keys: readonly string[],
    args: readonly (string | number)[],
  ): Promise<unknown> {
    if (keys.length !== script.numberOfKeys) {
      throw new Error(`script ${script.name} takes ${script.numberOfKeys} keys, got ${keys.length}`);
    }
    const { source, sha } = this.#compiled(script);
    try {
      return await this.#client.evalsha(sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return await this.#client.eval(source, keys.length, ...keys, ...args);
    }
  }

  #compiled(script: LuaScript): { source: string; sha: string } {
    let compiled = this.#sources.get(script);
    if (compiled === undefined) {
      const source = `-- gatehouse:${script.name}\n${PRELUDE}\n${script.lua}`;
      compiled = { source, sha: createHash('sha1').update(source).digest('hex') };
      this.#sources.set(script, compiled);
    }
    return compiled;
  }
}
