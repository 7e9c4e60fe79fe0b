import { type FSWatcher, watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createSecureContext } from 'node:tls';
import { GatewayError, GatewayErrorCode } from '../errors.js';

export { certificateHosts, ensureSelfSigned, type SelfSignedFiles, selfSignedFiles } from './self-signed.js';

export interface KeyPairFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

export interface KeyPair {
  readonly cert: Buffer;
  readonly key: Buffer;
}

/** Reads and checks a certificate and key; a pair that does not load is refused before use. */
export async function loadKeyPair(files: KeyPairFiles): Promise<KeyPair> {
  let pair: KeyPair;
  try {
    pair = { cert: await readFile(files.certFile), key: await readFile(files.keyFile) };
  } catch (error) {
    throw new GatewayError(
      GatewayErrorCode.TlsUnreadable,
      `cannot read the gateway certificate ${files.certFile} or key ${files.keyFile}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  try {
    createSecureContext(pair);
  } catch (error) {
    throw new GatewayError(
      GatewayErrorCode.TlsUnreadable,
      `the gateway certificate ${files.certFile} and key ${files.keyFile} do not form a usable pair: ${(error as Error).message}`,
      { cause: error },
    );
  }
  return pair;
}

export interface ReloadLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/**
 * Watches the directories of the certificate and key (Kubernetes secret mounts and
 * cert-manager replace files by swapping symlinks, which a file watch would miss) and
 * hands each new, valid pair to `apply`. A broken pair is logged and the old one kept.
 */
export function watchKeyPair(
  files: KeyPairFiles,
  initial: KeyPair,
  apply: (pair: KeyPair) => void,
  logger: ReloadLogger,
  debounceMs = 200,
): () => void {
  let timer: NodeJS.Timeout | undefined;
  const fingerprintOf = (pair: KeyPair) => `${pair.cert.toString('base64')}:${pair.key.toString('base64')}`;
  let last = fingerprintOf(initial);
  const reload = async () => {
    try {
      const pair = await loadKeyPair(files);
      const fingerprint = fingerprintOf(pair);
      if (fingerprint === last) return;
      last = fingerprint;
      apply(pair);
      logger.info({ certFile: files.certFile }, 'gateway certificate reloaded');
    } catch (error) {
      logger.warn(
        { err: (error as Error).message },
        'gateway certificate changed but cannot be loaded; keeping the old one',
      );
    }
  };
  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(reload, debounceMs);
  };
  const watchers: FSWatcher[] = [...new Set([dirname(files.certFile), dirname(files.keyFile)])].map((dir) =>
    watch(dir, schedule),
  );
  return () => {
    clearTimeout(timer);
    for (const watcher of watchers) watcher.close();
  };
}
