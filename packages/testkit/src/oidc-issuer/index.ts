import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import {
  type CryptoKey,
  calculateJwkThumbprint,
  exportJWK,
  exportSPKI,
  generateKeyPair,
  type JWK,
  type JWTPayload,
  SignJWT,
} from 'jose';
import { issueServerCert, sharedTestCa, type TestCa } from '../ca/index.js';

/**
 * A local OpenID Connect issuer that serves what a Kubernetes API server serves as its service
 * account issuer (kubernetes/kubernetes pkg/serviceaccount/openidmetadata.go): a discovery
 * document at `<issuer>/.well-known/openid-configuration` with `issuer`, `jwks_uri`,
 * `response_types_supported: ["id_token"]`, `subject_types_supported: ["public"]` and the signing
 * algorithms, and a JWKS whose keys carry `kid`, `alg` and `use: "sig"`. Over TLS with a testkit CA,
 * so the gateway trusts it only through a configured `caFile`. It signs tokens, rotates keys, and
 * can be stopped (connections refused) and started again on the same port.
 */

export type IssuerAlgorithm = 'RS256' | 'ES256' | 'PS256';

export interface OidcIssuerOptions {
  /** Signs the issuer's TLS certificate. @defaultValue sharedTestCa() */
  readonly ca?: TestCa;
  /** @defaultValue 'RS256' */
  readonly algorithm?: IssuerAlgorithm;
  /** The issuer's path under its origin, EKS-like `/id/<ID>`. @defaultValue '' */
  readonly path?: string;
  /** Where the keys are served (EKS: `/keys`, Kubernetes: `/openid/v1/jwks`). @defaultValue '/openid/v1/jwks' */
  readonly jwksPath?: string;
}

export interface SignOptions {
  /** Sign with this published (or retired) key. @defaultValue the current key */
  readonly kid?: string;
  /** Token lifetime in seconds from `iat`. @defaultValue 600 */
  readonly lifetimeSeconds?: number;
}

export interface IssuerRequest {
  readonly path: string;
  readonly at: number;
}

export interface OidcIssuer {
  /** `https://127.0.0.1:<port><path>`: what tokens carry as `iss` and the gateway config as `issuer`. */
  readonly issuer: string;
  readonly jwksUri: string;
  /** The CA that signed the issuer's TLS certificate (the gateway's `caFile`). */
  readonly caPem: string;
  /** Key ids the JWKS publishes now, oldest first. */
  publishedKids(): string[];
  /** The key new tokens are signed with. */
  currentKid(): string;
  /** Every discovery and JWKS request served, oldest first. */
  readonly requests: readonly IssuerRequest[];
  /** A signed JWT: `iss`, `iat`, `nbf` and `exp` filled unless `claims` sets them. */
  sign(claims: JWTPayload, options?: SignOptions): Promise<string>;
  /** The public key of a key id as SPKI PEM (for the "HMAC keyed with the public key" attack). */
  publicKeyPem(kid?: string): Promise<string>;
  /**
   * A new signing key: published and used from now on. `retire` removes the previous keys from the
   * JWKS (tokens they signed no longer verify once a verifier fetches the new set).
   */
  rotate(options?: { readonly retire?: boolean }): Promise<string>;
  /** Stops answering: the listener closes and open connections are cut (the issuer is down). */
  stop(): Promise<void>;
  /** Listens again on the same port (nothing when it is listening). */
  start(): Promise<void>;
  close(): Promise<void>;
}

interface SigningKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  readonly jwk: JWK;
}

async function newKey(algorithm: IssuerAlgorithm): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(algorithm, { extractable: true });
  const exported = await exportJWK(publicKey);
  // Kubernetes' key ids are a hash of the public key too (pkg/serviceaccount/jwt.go keyIDFromPublicKey).
  const kid = await calculateJwkThumbprint(exported);
  return { kid, privateKey, publicKey, jwk: { ...exported, kid, alg: algorithm, use: 'sig' } };
}

export async function startOidcIssuer(options: OidcIssuerOptions = {}): Promise<OidcIssuer> {
  const algorithm = options.algorithm ?? 'RS256';
  const ca = options.ca ?? sharedTestCa();
  const tls = issueServerCert(ca, { hosts: ['127.0.0.1', 'localhost'] });
  const issuerPath = (options.path ?? '').replace(/\/+$/, '');
  const jwksPath = options.jwksPath ?? '/openid/v1/jwks';
  const published: SigningKey[] = [await newKey(algorithm)];
  const retired: SigningKey[] = [];
  const requests: IssuerRequest[] = [];
  const sockets = new Set<Socket>();
  let port = 0;
  const origin = () => `https://127.0.0.1:${port}`;
  const issuer = () => `${origin()}${issuerPath}`;

  const server: Server = createServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    requests.push({ path, at: Date.now() });
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'GET') return json(405, { error: 'method not allowed' });
    if (path === `${issuerPath}/.well-known/openid-configuration`) {
      return json(200, {
        issuer: issuer(),
        jwks_uri: `${origin()}${jwksPath}`,
        response_types_supported: ['id_token'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: [algorithm],
      });
    }
    if (path === jwksPath) return json(200, { keys: published.map((key) => key.jwk) });
    return json(404, { error: `no such path ${path}` });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      if (server.listening) return resolve();
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        port = (server.address() as AddressInfo).port;
        resolve();
      });
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (!server.listening) return resolve();
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
  await listen();

  const findKey = (kid: string | undefined): SigningKey => {
    const key =
      kid === undefined ? published.at(-1) : [...published, ...retired].find((known) => known.kid === kid);
    if (!key) throw new Error(`the test issuer has no key ${kid}`);
    return key;
  };

  return {
    get issuer() {
      return issuer();
    },
    get jwksUri() {
      return `${origin()}${jwksPath}`;
    },
    caPem: ca.certPem,
    publishedKids: () => published.map((key) => key.kid),
    currentKid: () => findKey(undefined).kid,
    requests,
    async sign(claims, signOptions = {}) {
      const key = findKey(signOptions.kid);
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({
        iss: issuer(),
        iat: now,
        nbf: now,
        exp: now + (signOptions.lifetimeSeconds ?? 600),
        ...claims,
      })
        .setProtectedHeader({ alg: algorithm, kid: key.kid, typ: 'JWT' })
        .sign(key.privateKey);
    },
    publicKeyPem: (kid) => exportSPKI(findKey(kid).publicKey),
    async rotate(rotateOptions = {}) {
      const key = await newKey(algorithm);
      if (rotateOptions.retire) retired.push(...published.splice(0));
      published.push(key);
      return key.kid;
    },
    stop,
    start: listen,
    close: stop,
  };
}
