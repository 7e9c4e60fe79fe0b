import { hostname } from 'node:os';
import type { GatewayConfig } from '@gatehouse/config';
import {
  certificateHosts,
  ensureSelfSigned,
  type KeyPair,
  type KeyPairFiles,
  loadKeyPair,
} from '../server-tls/index.js';

export interface ServerTls {
  /** The pair to serve, or undefined for plain HTTP behind a terminating proxy. */
  readonly pair: KeyPair | undefined;
  /** Files to watch for replacement. */
  readonly files: KeyPairFiles | undefined;
  /** The CA agents must trust, when the gateway made it. */
  readonly caFile: string | undefined;
  readonly created: boolean;
}

/** Resolves the configured TLS mode into what the server listens with. */
export async function prepareServerTls(gateway: GatewayConfig): Promise<ServerTls> {
  switch (gateway.tls.mode) {
    case 'plain-http':
      return { pair: undefined, files: undefined, caFile: undefined, created: false };
    case 'files': {
      const files = { certFile: gateway.tls.certFile, keyFile: gateway.tls.keyFile };
      return { pair: await loadKeyPair(files), files, caFile: undefined, created: false };
    }
    case 'self-signed': {
      const publicHost = gateway.publicUrl ? new URL(gateway.publicUrl).hostname : undefined;
      const made = await ensureSelfSigned(
        gateway.tls.dir,
        certificateHosts([gateway.host, publicHost, hostname()]),
      );
      return { pair: await loadKeyPair(made), files: made, caFile: made.caFile, created: made.created };
    }
  }
}
