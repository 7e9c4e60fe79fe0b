import type { DryRunResult, HeldRequest } from '@gatehouse/approvals';
import { parseAction } from '@gatehouse/policy';
import { GatewayError, GatewayErrorCode } from '../errors.js';
import { upstreamTarget } from '../routing/index.js';
import type { ClusterUpstream } from '../upstream/index.js';

/**
 * Content negotiation for metadata-only answers: API servers send names, labels and owners without
 * `data` or `spec` (a Secret's contents never leave the cluster); servers that cannot fall back to JSON.
 */
const METADATA_LIST = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json';
const METADATA_ONE = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json';

/** Largest Status message kept from a refused dry run. */
const MAX_MESSAGE = 300;

export interface ReadOptions {
  /** Query parameters (encoded here). */
  readonly query?: Readonly<Record<string, string | undefined>>;
  /** Ask for PartialObjectMetadata(List): names, labels, owners, timestamps only. */
  readonly metadataOnly?: boolean;
}

/** The cluster, read-only, for previews: GETs, plus one server-side dry run of the held request. */
export interface KubeReader {
  /** One object; undefined when the cluster answers 404. Other failures: GatewayError (PreviewReadFailed). */
  get<T>(path: string, options?: ReadOptions): Promise<T | undefined>;
  /** A collection; undefined when the cluster answers 404 (the resource is not served there). */
  list<T>(path: string, options?: ReadOptions): Promise<T | undefined>;
  /** The held request with `dryRun=All`: only its status and, on failure, the Status message are read. */
  dryRun(request: HeldRequest): Promise<DryRunResult>;
}

function statusMessage(text: string): string | undefined {
  try {
    const parsed = JSON.parse(text) as { kind?: unknown; message?: unknown };
    return parsed.kind === 'Status' && typeof parsed.message === 'string' ? parsed.message : undefined;
  } catch {
    return undefined;
  }
}

const clip = (text: string) => (text.length <= MAX_MESSAGE ? text : `${text.slice(0, MAX_MESSAGE - 1)}…`);

export interface DryRunReplay {
  readonly query: string;
  readonly body: Buffer | undefined;
  readonly contentType: string;
}

/**
 * The held request as a server-side dry run. A DELETE with a body is the trap: the API server then
 * reads DeleteOptions from the body and ignores the query, so `?dryRun=All` alone would run the real
 * delete before anyone approved; the body gets `dryRun: ["All"]` instead. Whatever the policy parser
 * (which follows the API server) does not read as a dry run is never sent.
 */
export function dryRunReplay(request: HeldRequest): DryRunReplay {
  const query = [request.query, 'dryRun=All'].filter((part) => part !== '').join('&');
  let body = request.bodyBase64 ? Buffer.from(request.bodyBase64, 'base64') : undefined;
  let contentType = request.headers['content-type'] ?? 'application/json';
  if (request.method === 'DELETE' && body && body.length > 0) {
    let options: unknown;
    try {
      options = JSON.parse(body.toString('utf8'));
    } catch {
      options = undefined;
    }
    if (typeof options === 'object' && options !== null && !Array.isArray(options)) {
      body = Buffer.from(JSON.stringify({ ...options, dryRun: ['All'] }));
      contentType = 'application/json';
    }
  }
  const action = parseAction({
    method: request.method,
    path: request.path,
    query,
    headers: { 'content-type': contentType },
    body,
  });
  if (action.kind !== 'resource' || !action.dryRun) {
    throw new GatewayError(
      GatewayErrorCode.PreviewReadFailed,
      `no dry run of ${request.method} ${request.path}: the API server would not read it as one (a DELETE body that is not JSON DeleteOptions?); nothing was sent`,
    );
  }
  return { query, body, contentType };
}

/**
 * Reads with the cluster's own TLS and credentials (the `ClusterUpstream` the proxy uses), every call
 * bound to `signal`, so a preview can be abandoned at its time limit.
 */
export function kubeReader(upstream: ClusterUpstream, signal: AbortSignal): KubeReader {
  async function send(
    method: string,
    path: string,
    query: string,
    headers: Record<string, string>,
    body?: Buffer,
  ) {
    return upstream.dispatcher.request({
      origin: upstream.url.origin,
      path: upstreamTarget(upstream.url, { path, query }),
      method,
      headers: { 'user-agent': 'gatehouse-gateway/preview', ...headers, ...(await upstream.authHeaders()) },
      body: body ?? null,
      signal,
    });
  }

  async function read<T>(path: string, accept: string, options: ReadOptions): Promise<T | undefined> {
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(options.query ?? {}))
      if (value !== undefined) query.set(name, value);
    const response = await send('GET', path, query.toString(), { accept });
    const text = await response.body.text();
    if (response.statusCode === 200) return JSON.parse(text) as T;
    if (response.statusCode === 404) return undefined;
    const why = statusMessage(text) ?? `HTTP ${response.statusCode}`;
    throw new GatewayError(
      GatewayErrorCode.PreviewReadFailed,
      `cluster ${upstream.name} answered ${response.statusCode} to GET ${path}: ${clip(why)}`,
    );
  }

  return {
    get: (path, options = {}) =>
      read(path, options.metadataOnly ? METADATA_ONE : 'application/json', options),
    list: (path, options = {}) =>
      read(path, options.metadataOnly ? METADATA_LIST : 'application/json', options),
    async dryRun(request) {
      const { query, body, contentType } = dryRunReplay(request);
      const headers = { accept: 'application/json', ...(body && { 'content-type': contentType }) };
      const response = await send(request.method, request.path, query, headers, body);
      if (response.statusCode >= 200 && response.statusCode < 300) {
        // A dry run answers with the object it would have changed; for a Secret that is its data. Unread.
        await response.body.dump();
        return { outcome: 'would-succeed' };
      }
      const message = statusMessage(await response.body.text()) ?? `HTTP ${response.statusCode}`;
      return { outcome: 'would-fail', message: clip(message) };
    },
  };
}
