import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type TLSSocket } from 'node:tls';
import type { KubeconfigClusterConfig } from '@gatehouse/config';
import {
  createTestCa,
  issueClientCert,
  issueServerCert,
  sharedTestCa,
  writeKubeconfig,
} from '@gatehouse/testkit/ca';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UpstreamErrorCode } from '../errors.js';
import type { ClusterUpstream } from '../types.js';
import { createKubeconfigUpstream } from './index.js';

interface Seen {
  path: string | undefined;
  authorization: string | undefined;
  clientCn: string | undefined;
}

/** An API server stand-in that records what reached it; `mutualTls` makes it demand a client certificate. */
async function startRecordingServer(mutualTls: boolean) {
  const ca = sharedTestCa();
  const cert = issueServerCert(ca);
  const seen: Seen[] = [];
  const server: Server = createServer(
    {
      cert: cert.certPem,
      key: cert.keyPem,
      ca: ca.certPem,
      requestCert: mutualTls,
      rejectUnauthorized: mutualTls,
    },
    (req, res) => {
      const cn = (req.socket as TLSSocket).getPeerCertificate()?.subject?.CN;
      const clientCn = Array.isArray(cn) ? cn.join(',') : cn;
      seen.push({ path: req.url, authorization: req.headers.authorization, clientCn });
      res.end('{}');
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, seen, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

type RecordingServer = Awaited<ReturnType<typeof startRecordingServer>>;

describe('kubeconfig upstream', () => {
  let api: RecordingServer;
  let mtlsApi: RecordingServer;
  let dir: string;
  const opened: ClusterUpstream[] = [];

  beforeAll(async () => {
    api = await startRecordingServer(false);
    mtlsApi = await startRecordingServer(true);
  });
  afterAll(async () => {
    await api.close();
    await mtlsApi.close();
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-upstream-kubeconfig-'));
    api.seen.length = 0;
    mtlsApi.seen.length = 0;
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((upstream) => upstream.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  async function open(kubeconfig: string, context?: string, impersonate = true): Promise<ClusterUpstream> {
    const cluster: KubeconfigClusterConfig = {
      name: 'local',
      type: 'kubeconfig',
      kubeconfig,
      context,
      impersonate,
    };
    const upstream = await createKubeconfigUpstream(cluster, {});
    opened.push(upstream);
    return upstream;
  }

  /** GET /api through the upstream, the way the proxy will: its dispatcher and its auth headers. */
  async function get(upstream: ClusterUpstream): Promise<number> {
    const res = await request(new URL('/api', upstream.url), {
      dispatcher: upstream.dispatcher,
      headers: await upstream.authHeaders(),
    });
    await res.body.text();
    return res.statusCode;
  }

  /** A kubeconfig written as JSON (valid YAML), with whatever clusters, users and contexts a test needs. */
  function writeConfig(config: object): string {
    const path = join(dir, 'config');
    writeFileSync(path, JSON.stringify({ apiVersion: 'v1', kind: 'Config', ...config }));
    return path;
  }

  const caData = Buffer.from(sharedTestCa().certPem).toString('base64');

  it('sends the context user’s bearer token, verifying the server with the kubeconfig CA', async () => {
    const kc = writeKubeconfig({
      server: api.url,
      caPem: sharedTestCa().certPem,
      credentials: { token: 'kc-token' },
      dir,
    });
    const upstream = await open(kc.path);

    expect(upstream.url.href).toBe(`${api.url}/`);
    expect(await upstream.authHeaders()).toEqual({ authorization: 'Bearer kc-token' });
    expect(await get(upstream)).toBe(200);
    expect(api.seen).toEqual([{ path: '/api', authorization: 'Bearer kc-token', clientCn: undefined }]);
  });

  it('presents the client certificate to a server that requires one', async () => {
    const client = issueClientCert(sharedTestCa(), { commonName: 'gatehouse-upstream' });
    const credentials = { clientCertPem: client.certPem, clientKeyPem: client.keyPem };
    const kc = writeKubeconfig({ server: mtlsApi.url, caPem: sharedTestCa().certPem, credentials, dir });
    const upstream = await open(kc.path);

    expect(await upstream.authHeaders()).toEqual({});
    expect(await get(upstream)).toBe(200);
    expect(mtlsApi.seen).toEqual([
      { path: '/api', authorization: undefined, clientCn: 'gatehouse-upstream' },
    ]);

    const raw = connect({
      ...upstream.tlsOptions(),
      host: '127.0.0.1',
      port: Number(new URL(mtlsApi.url).port),
    });
    const authorized = await new Promise<boolean>((resolve, reject) => {
      raw.once('secureConnect', () => resolve(raw.authorized));
      raw.once('error', reject);
    });
    raw.destroy();
    expect(authorized).toBe(true);
  });

  it('gets nothing through to a mutual-TLS server without a client certificate', async () => {
    const kc = writeKubeconfig({
      server: mtlsApi.url,
      caPem: sharedTestCa().certPem,
      credentials: { token: 't' },
      dir,
    });
    const upstream = await open(kc.path);

    await expect(get(upstream)).rejects.toThrow();
    expect(mtlsApi.seen).toEqual([]);
  });

  it('refuses a server certificate from a CA other than the kubeconfig’s', async () => {
    const kc = writeKubeconfig({
      server: api.url,
      caPem: createTestCa('other').certPem,
      credentials: { token: 't' },
      dir,
    });
    const upstream = await open(kc.path);

    await expect(get(upstream)).rejects.toMatchObject({
      code: expect.stringMatching(/CERT|SIGNATURE|ISSUER/),
    });
    expect(api.seen).toEqual([]);
  });

  it('skips verification only when the kubeconfig says insecure-skip-tls-verify', async () => {
    const cluster = (extra: object) => [{ name: 'c', cluster: { server: api.url, ...extra } }];
    const rest = {
      users: [{ name: 'u', user: { token: 't' } }],
      contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u' } }],
      'current-context': 'ctx',
    };
    const strict = await open(writeConfig({ clusters: cluster({}), ...rest }));
    await expect(get(strict)).rejects.toThrow();
    expect(strict.tlsOptions().rejectUnauthorized).toBe(true);
    expect(api.seen).toEqual([]);

    const insecure = await open(
      writeConfig({ clusters: cluster({ 'insecure-skip-tls-verify': true }), ...rest }),
    );
    expect(insecure.tlsOptions().rejectUnauthorized).toBe(false);
    expect(await get(insecure)).toBe(200);
  });

  describe('exec plugins', () => {
    /** A plugin that counts its runs and prints an ExecCredential with token exec-token-<run>. */
    function execConfig(expirationTimestamp: string, exitCode = 0): { path: string; runs: () => number } {
      const counter = join(dir, 'runs');
      const script = join(dir, 'credential-plugin.sh');
      writeFileSync(
        script,
        [
          '#!/bin/sh',
          'n=$(( $(cat "$COUNTER" 2>/dev/null || echo 0) + 1 )); echo "$n" > "$COUNTER"',
          `[ ${exitCode} -eq 0 ] || { echo "plugin refused: no SSO session" >&2; exit ${exitCode}; }`,
          'printf \'{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential",' +
            '"status":{"token":"exec-token-%s","expirationTimestamp":"%s"}}\' "$n" "$EXPIRES"',
        ].join('\n'),
      );
      chmodSync(script, 0o755);
      const exec = {
        apiVersion: 'client.authentication.k8s.io/v1beta1',
        command: script,
        env: [
          { name: 'COUNTER', value: counter },
          { name: 'EXPIRES', value: expirationTimestamp },
        ],
      };
      const path = writeConfig({
        clusters: [{ name: 'c', cluster: { server: api.url, 'certificate-authority-data': caData } }],
        users: [{ name: 'u', user: { exec } }],
        contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u' } }],
        'current-context': 'ctx',
      });
      return { path, runs: () => Number(readFileSync(counter, 'utf8')) };
    }

    it('runs the plugin once while its credential is valid, even for concurrent callers', async () => {
      const plugin = execConfig('2099-01-01T00:00:00Z');
      const upstream = await open(plugin.path);
      const headers = await Promise.all([1, 2, 3, 4, 5].map(() => upstream.authHeaders()));

      expect(headers).toEqual(Array(5).fill({ authorization: 'Bearer exec-token-1' }));
      expect(await get(upstream)).toBe(200);
      expect(api.seen.map((seen) => seen.authorization)).toEqual(['Bearer exec-token-1']);
      expect(plugin.runs()).toBe(1);
    });

    it('runs the plugin again once its credential has expired, once per burst', async () => {
      const plugin = execConfig('2000-01-01T00:00:00Z');
      const upstream = await open(plugin.path);
      expect(plugin.runs()).toBe(1);

      const burst = await Promise.all([1, 2, 3].map(() => upstream.authHeaders()));
      expect(burst).toEqual(Array(3).fill({ authorization: 'Bearer exec-token-2' }));
      expect(await upstream.authHeaders()).toEqual({ authorization: 'Bearer exec-token-3' });
      expect(plugin.runs()).toBe(3);
    });

    it('refuses to start when the plugin fails, saying what it printed', async () => {
      const plugin = execConfig('2099-01-01T00:00:00Z', 1);
      await expect(open(plugin.path)).rejects.toMatchObject({
        code: UpstreamErrorCode.CredentialsFailed,
        message: expect.stringContaining('plugin refused: no SSO session'),
      });
    });
  });

  describe('start-up errors', () => {
    const twoContexts = () =>
      writeConfig({
        clusters: [
          { name: 'kind', cluster: { server: 'https://127.0.0.1:6443' } },
          { name: 'minikube', cluster: { server: 'https://192.168.49.2:8443/prefix' } },
        ],
        users: [{ name: 'u', user: { token: 't' } }],
        contexts: [
          { name: 'kind-kind', context: { cluster: 'kind', user: 'u' } },
          { name: 'minikube', context: { cluster: 'minikube', user: 'u' } },
          { name: 'dangling', context: { cluster: 'deleted-cluster', user: 'u' } },
        ],
        'current-context': 'kind-kind',
      });

    it('uses the named context rather than the current one', async () => {
      const upstream = await open(twoContexts(), 'minikube');
      expect(upstream.url.href).toBe('https://192.168.49.2:8443/prefix');
    });

    it('names the contexts there are when the requested one is missing', async () => {
      await expect(open(twoContexts(), 'kind-prod')).rejects.toMatchObject({
        code: UpstreamErrorCode.UnknownContext,
        message: expect.stringContaining('kind-kind, minikube, dangling'),
      });
    });

    it('reports a context whose cluster has no server', async () => {
      await expect(open(twoContexts(), 'dangling')).rejects.toMatchObject({
        code: UpstreamErrorCode.MissingServer,
      });
    });

    it('refuses a kubeconfig user that impersonates (as:) where the gateway sets identities itself', async () => {
      const path = writeConfig({
        clusters: [{ name: 'kind', cluster: { server: 'https://127.0.0.1:6443' } }],
        users: [{ name: 'u', user: { token: 't', as: 'someone-else' } }],
        contexts: [{ name: 'kind-kind', context: { cluster: 'kind', user: 'u' } }],
        'current-context': 'kind-kind',
      });
      await expect(open(path)).rejects.toMatchObject({
        code: UpstreamErrorCode.ImpersonationConflict,
        message: expect.stringContaining(
          `context "kind-kind" of kubeconfig ${path} impersonates "someone-else" (as:)`,
        ),
      });
      // Without impersonation the kubeconfig's identity is the operator's choice, and is kept.
      const upstream = await open(path, undefined, false);
      expect(await upstream.authHeaders()).toEqual({
        authorization: 'Bearer t',
        'impersonate-user': 'someone-else',
      });
    });

    /** A kubeconfig whose context `kind-admin` joins cluster `kind` and user `admin`. */
    const tlsConfig = (cluster: object, user: object = { token: 't' }) =>
      writeConfig({
        clusters: [{ name: 'kind', cluster: { server: 'https://127.0.0.1:6443', ...cluster } }],
        users: [{ name: 'admin', user }],
        contexts: [{ name: 'kind-admin', context: { cluster: 'kind', user: 'admin' } }],
        'current-context': 'kind-admin',
      });
    const b64 = (text: string) => Buffer.from(text).toString('base64');

    it('refuses CA data that is not a certificate, naming the cluster, context and kubeconfig', async () => {
      const path = tlsConfig({ 'certificate-authority-data': b64('not a certificate') });
      await expect(open(path)).rejects.toMatchObject({
        code: UpstreamErrorCode.CaUnreadable,
        message: expect.stringContaining(
          `cluster local: cannot read the cluster CA from the certificate-authority of cluster "kind" (context "kind-admin") of kubeconfig ${path}`,
        ),
      });
      // The same CA, readable, starts.
      await open(tlsConfig({ 'certificate-authority-data': caData }));
    });

    it('refuses a CA file that holds no readable certificate', async () => {
      const caFile = join(dir, 'ca.crt');
      writeFileSync(caFile, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
      await expect(open(tlsConfig({ 'certificate-authority': caFile }))).rejects.toMatchObject({
        code: UpstreamErrorCode.CaUnreadable,
      });
    });

    it('refuses a client certificate whose key is not its own, naming the user and context', async () => {
      const client = issueClientCert(sharedTestCa(), { commonName: 'gatehouse-upstream' });
      const mismatched = {
        'client-certificate-data': b64(client.certPem),
        'client-key-data': b64(sharedTestCa().keyPem),
      };
      const path = tlsConfig({ 'certificate-authority-data': caData }, mismatched);
      await expect(open(path)).rejects.toMatchObject({
        code: UpstreamErrorCode.CredentialsFailed,
        message: expect.stringContaining(
          `the client key of user "admin" (context "kind-admin") of kubeconfig ${path} does not belong to its client certificate`,
        ),
      });
    });

    it('refuses client certificate data that is not a certificate', async () => {
      const client = issueClientCert(sharedTestCa(), { commonName: 'gatehouse-upstream' });
      const garbled = { 'client-certificate-data': b64('garbage'), 'client-key-data': b64(client.keyPem) };
      await expect(open(tlsConfig({}, garbled))).rejects.toMatchObject({
        code: UpstreamErrorCode.CredentialsFailed,
        message: expect.stringContaining('is not a PEM certificate'),
      });
    });

    it('reports a kubeconfig it cannot read', async () => {
      await expect(open(join(dir, 'no-such-kubeconfig'))).rejects.toMatchObject({
        code: UpstreamErrorCode.KubeconfigUnreadable,
        message: expect.stringContaining('no-such-kubeconfig'),
      });
    });
  });
});
