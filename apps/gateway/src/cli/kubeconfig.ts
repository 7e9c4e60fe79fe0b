/** What a kubeconfig for one agent on one cluster needs, and its credential. */
export type AgentKubeconfig = KubeconfigTarget & KubeconfigCredential;

/**
 * A static token written into the kubeconfig, or the path of a token file kubectl reads on every
 * run (client-go's NewCachedFileTokenSource re-reads it about once a minute in long-lived clients),
 * for identity tokens that rotate, like a projected ServiceAccount token.
 */
export type KubeconfigCredential = { readonly token: string } | { readonly tokenFile: string };

export interface KubeconfigTarget {
  readonly agent: string;
  readonly cluster: string;
  /** Gateway base URL, e.g. `https://gateway:8443` (the cluster prefix is added here). */
  readonly server: string;
  /** PEM of the CA that signed the gateway's certificate; omitted when a public CA did. */
  readonly caPem?: string | undefined;
}

/** YAML double-quoted scalars are JSON strings, so every value is quoted safely this way. */
const q = (value: string) => JSON.stringify(value);

/** A kubeconfig kubectl and client-go use unchanged: the server URL carries `/clusters/<name>`. */
export function renderKubeconfig(input: AgentKubeconfig): string {
  const server = `${input.server.replace(/\/+$/, '')}/clusters/${input.cluster}`;
  const name = `gatehouse-${input.cluster}`;
  const user = `${input.agent}@gatehouse`;
  const ca = input.caPem
    ? `      certificate-authority-data: ${q(Buffer.from(input.caPem).toString('base64'))}\n`
    : '';
  return (
    'apiVersion: v1\n' +
    'kind: Config\n' +
    'clusters:\n' +
    `  - name: ${q(name)}\n` +
    '    cluster:\n' +
    `      server: ${q(server)}\n` +
    ca +
    'users:\n' +
    `  - name: ${q(user)}\n` +
    '    user:\n' +
    ('token' in input ? `      token: ${q(input.token)}\n` : `      tokenFile: ${q(input.tokenFile)}\n`) +
    'contexts:\n' +
    `  - name: ${q(name)}\n` +
    '    context:\n' +
    `      cluster: ${q(name)}\n` +
    `      user: ${q(user)}\n` +
    `current-context: ${q(name)}\n`
  );
}
