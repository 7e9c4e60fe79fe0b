import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** How the kubeconfig's user authenticates: a bearer token, a client certificate, or nothing. */
export type KubeconfigCredentials =
  | { token: string }
  | { clientCertPem: string; clientKeyPem: string }
  | Record<string, never>;

export interface KubeconfigOptions {
  /** The API server URL, e.g. `https://127.0.0.1:8443/clusters/prod`. */
  server: string;
  /** PEM of the CA that signed the server's certificate. */
  caPem: string;
  credentials: KubeconfigCredentials;
  /** @defaultValue 'default' */
  namespace?: string;
  /** Names used for cluster, user and context. @defaultValue 'test' */
  name?: string;
  /** Directory to write into. @defaultValue a fresh temp dir, removed by `cleanup()` */
  dir?: string;
}

export interface WrittenKubeconfig {
  readonly path: string;
  readonly dir: string;
  /** Removes the file (and the temp dir when this call created it). */
  cleanup(): void;
}

const b64 = (text: string): string => Buffer.from(text).toString('base64');

function userEntry(credentials: KubeconfigCredentials): Record<string, string> {
  if ('token' in credentials) return { token: credentials.token };
  if ('clientCertPem' in credentials) {
    return {
      'client-certificate-data': b64(credentials.clientCertPem),
      'client-key-data': b64(credentials.clientKeyPem),
    };
  }
  return {};
}

/** Writes a single-context kubeconfig for kubectl or client-go. JSON is valid YAML, so no YAML writer. */
export function writeKubeconfig(options: KubeconfigOptions): WrittenKubeconfig {
  const name = options.name ?? 'test';
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'gatehouse-kubeconfig-'));
  const path = join(dir, `${name}.kubeconfig`);
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      { name, cluster: { server: options.server, 'certificate-authority-data': b64(options.caPem) } },
    ],
    users: [{ name, user: userEntry(options.credentials) }],
    contexts: [{ name, context: { cluster: name, user: name, namespace: options.namespace ?? 'default' } }],
    'current-context': name,
    preferences: {},
  };
  writeFileSync(path, JSON.stringify(config, null, 2), { mode: 0o600 });
  return {
    path,
    dir,
    cleanup: () => rmSync(ownDir ? dir : path, { recursive: true, force: true }),
  };
}
