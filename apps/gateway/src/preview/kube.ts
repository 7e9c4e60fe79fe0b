import type { DryRunResult, HeldRequest } from '@gatehouse/approvals';
import { parseAction, parseQuery, shorten } from '@gatehouse/policy';
import { GatewayError, GatewayErrorCode } from '../errors.js';
import { upstreamTarget } from '../routing/index.js';
import type { ClusterUpstream } from '../upstream/index.js';
import { KEEP_CONNECTION } from '../upstream/keep-connection.js';

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

/** The cluster, read-only, for previews. */
export interface KubeReader {
  /** One object; undefined when the cluster answers 404. Other failures: {@link PreviewReadError}. */
  get<T>(path: string, options?: ReadOptions): Promise<T | undefined>;
  /** A collection; undefined when the cluster answers 404 (the resource is not served there). */
  list<T>(path: string, options?: ReadOptions): Promise<T | undefined>;
}

/** A read the cluster refused or failed; `status` lets a preview leave out what it may not read (403). */
export class PreviewReadError extends GatewayError {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(GatewayErrorCode.PreviewReadFailed, message);
  }
}

/** The read's answer, or 'forbidden' when the gateway's credentials may not read it (RBAC): one gap, not a failed preview. */
export async function unlessForbidden<T>(read: Promise<T>): Promise<T | 'forbidden'> {
  try {
    return await read;
  } catch (error) {
    if (error instanceof PreviewReadError && error.status === 403) return 'forbidden';
    throw error;
  }
}

function statusMessage(text: string): string | undefined {
  try {
    const parsed = JSON.parse(text) as { kind?: unknown; message?: unknown };
    return parsed.kind === 'Status' && typeof parsed.message === 'string' ? parsed.message : undefined;
  } catch {
    return undefined;
  }
}

/** Long Status messages are shortened by the one rule, which says so (never silently). */
function clip(text: string): string {
  const { shown, note } = shorten(text, MAX_MESSAGE);
  return note === undefined ? text : `${shown}… [shortened: ${note}]`;
}

export interface DryRunReplay {
  readonly query: string;
  readonly body: Buffer | undefined;
  readonly contentType: string;
}

/**
 * The agent's query with its own `dryRun` parameters (named as the API server decodes names:
 * `dry%52un` is one) replaced by a single `dryRun=All`. Appending instead would turn `dryRun=x`
 * into `dryRun=x&dryRun=All`: the API server refuses that, but a server reading only one value
 * would run the real change before anyone voted. The other pairs stay byte for byte.
 */
export function withDryRunAll(query: string): string {
  const kept = query.split('&').filter((pair) => {
    if (pair === '') return false;
    const parsed = parseQuery(pair);
    return !(parsed.ok && parsed.params.has('dryRun'));
  });
  return [...kept, 'dryRun=All'].join('&');
}

/**
 * The held request as a server-side dry run. A DELETE with a body is the trap: the API server then
 * reads DeleteOptions from the body and ignores the query, so `?dryRun=All` alone would run the real
 * delete before anyone approved; the body gets `dryRun: ["All"]` instead. Whatever the policy parser
 * (which follows the API server) does not read as a dry run is never sent.
 */
export function dryRunReplay(request: HeldRequest): DryRunReplay {
  const query = withDryRunAll(request.query);
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

function sender(upstream: ClusterUpstream, signal: AbortSignal) {
  return async (
    method: string,
    path: string,
    query: string,
    headers: Record<string, string>,
    body?: Buffer,
  ) =>
    upstream.dispatcher.request({
      origin: upstream.url.origin,
      path: upstreamTarget(upstream.url, { path, query }),
      method,
      headers: { 'user-agent': 'gatehouse-gateway/preview', ...headers, ...(await upstream.authHeaders()) },
      body: body ?? null,
      signal,
      ...KEEP_CONNECTION,
    });
}

/**
 * Reads with a cluster's TLS and credentials (a `ClusterUpstream`, as the proxy uses), every call
 * bound to `signal`, so a preview can be abandoned at its time limit.
 */
export function kubeReader(upstream: ClusterUpstream, signal: AbortSignal): KubeReader {
  const send = sender(upstream, signal);
  async function read<T>(path: string, accept: string, options: ReadOptions): Promise<T | undefined> {
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(options.query ?? {}))
      if (value !== undefined) query.set(name, value);
    const response = await send('GET', path, query.toString(), { accept });
    const text = await response.body.text();
    if (response.statusCode === 200) return JSON.parse(text) as T;
    if (response.statusCode === 404) return undefined;
    const why = statusMessage(text) ?? `HTTP ${response.statusCode}`;
    throw new PreviewReadError(
      response.statusCode,
      `cluster ${upstream.name} answered ${response.statusCode} to GET ${path}: ${clip(why)}`,
    );
  }

  return {
    get: (path, options = {}) =>
      read(path, options.metadataOnly ? METADATA_ONE : 'application/json', options),
    list: (path, options = {}) =>
      read(path, options.metadataOnly ? METADATA_LIST : 'application/json', options),
  };
}

/** A dry run's verdict and, when it would succeed, the object as the write would leave it. */
export interface DryRunAnswer {
  readonly result: DryRunResult;
  /** The API server's answer body (JSON), parsed; undefined on failure or when it is not JSON. */
  readonly object?: unknown;
}

/**
 * The held request as a server-side dry run (see {@link dryRunReplay}), through `upstream`: the
 * identity the approved request would run as. The answer is the object as the write would leave it
 * (the API server ran admission and the patch itself, persisting nothing): the change preview diffs
 * it against the live object. For a Secret it holds the data: it is never stored or logged whole,
 * only diffed by hash (`diff.ts`).
 */
export async function sendDryRun(
  upstream: ClusterUpstream,
  request: HeldRequest,
  signal: AbortSignal,
): Promise<DryRunAnswer> {
  const { query, body, contentType } = dryRunReplay(request);
  const headers = { accept: 'application/json', ...(body && { 'content-type': contentType }) };
  const response = await sender(upstream, signal)(request.method, request.path, query, headers, body);
  const text = await response.body.text();
  if (response.statusCode >= 200 && response.statusCode < 300) {
    let object: unknown;
    try {
      object = JSON.parse(text);
    } catch {
      object = undefined;
    }
    return { result: { outcome: 'would-succeed' }, object };
  }
  const message = statusMessage(text) ?? `HTTP ${response.statusCode}`;
  return { result: { outcome: 'would-fail', message: clip(message) } };
}
