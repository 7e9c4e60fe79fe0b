import { readFile } from 'node:fs/promises';
import type { AgentConfig, IdentityProviderConfig } from '@gatehouse/config';
import type { Clock } from '@gatehouse/lifecycle';
import type { Logger } from 'pino';
import {
  createAuthenticator,
  createIssuerFetch,
  type FetchJson,
  type GatewayAuthenticator,
} from '../auth/index.js';
import { GatewayError, GatewayErrorCode } from '../errors.js';

/**
 * The gateway's authenticator: static tokens and every configured identity provider, each provider
 * with an HTTPS client that trusts its `caFile` besides Node's CAs. A caFile that cannot be read
 * stops start-up; an issuer that cannot be reached does not (its tokens are refused until it can,
 * static tokens keep working), so the first key fetch runs in the background.
 */
export async function prepareAuthenticator(options: {
  readonly agents: readonly AgentConfig[];
  readonly identityProviders: readonly IdentityProviderConfig[];
  readonly clock: Clock;
  readonly logger: Logger;
}): Promise<{ authenticator: GatewayAuthenticator<AgentConfig>; close(): Promise<void> }> {
  const clients = new Map<string, { fetchJson: FetchJson; close(): Promise<void> }>();
  const closeAll = async () => {
    await Promise.all([...clients.values()].map((client) => client.close()));
  };
  try {
    for (const [index, provider] of options.identityProviders.entries()) {
      let caPem: string | undefined;
      if (provider.caFile) {
        try {
          caPem = await readFile(provider.caFile, 'utf8');
        } catch (error) {
          throw new GatewayError(
            GatewayErrorCode.IdentityProviderInvalid,
            `cannot read identityProviders[${index}].caFile ${provider.caFile} (provider ${provider.name}): ` +
              `${(error as NodeJS.ErrnoException).code ?? (error as Error).message}; point it at the PEM CA bundle that signed the issuer's TLS certificate, or remove it to trust the built-in CAs`,
            { cause: error },
          );
        }
      }
      clients.set(provider.name, createIssuerFetch(caPem));
    }
  } catch (error) {
    await closeAll();
    throw error;
  }
  const authenticator = createAuthenticator({
    agents: options.agents,
    identityProviders: options.identityProviders,
    fetchJson: (provider) => (clients.get(provider.name) as { fetchJson: FetchJson }).fetchJson,
    clock: options.clock,
    logger: options.logger,
  });
  void authenticator.warm();
  return { authenticator, close: closeAll };
}
