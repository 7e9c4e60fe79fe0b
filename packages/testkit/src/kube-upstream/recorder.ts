import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { TestkitError, TestkitErrorCode } from '../errors.js';

/** One request as the upstream received it, kept for assertions. */
export interface RecordedRequest {
  readonly method: string;
  /** Path without the query string. */
  readonly path: string;
  readonly query: URLSearchParams;
  /** Lower-cased names, as node parses them (`authorization`, `impersonate-user`...). */
  readonly headers: IncomingHttpHeaders;
  /**
   * Every header line kept apart, lower-cased names: `headers` joins repeated lines with commas,
   * while Kubernetes reads each `Impersonate-Group` line as one group.
   */
  readonly headersDistinct: IncomingMessage['headersDistinct'];
  /** The bearer token from `Authorization`, when one was sent. */
  readonly bearerToken: string | undefined;
  /** Subject of the TLS client certificate, when one was presented. */
  readonly clientCert: { commonName: string; organizations: string[] } | undefined;
  readonly body: Buffer;
  /** True for protocol upgrades (exec/attach over WebSocket, SPDY attempts). */
  readonly upgrade: boolean;
  readonly receivedAt: Date;
  /** The status the upstream answered with; undefined while the response is still open. */
  status: number | undefined;
}

/** Which requests to pick: every given field must match. */
export interface RequestFilter {
  method?: string;
  /** Exact path, or a pattern tested against it. */
  path?: string | RegExp;
  /** Each query parameter must be present with this value, or one the pattern matches (`{ continue: /./ }`). */
  query?: Record<string, string | RegExp>;
  /** Each header must equal the string or match the pattern. */
  headers?: Record<string, string | RegExp>;
  /** Only requests carrying this bearer token. */
  bearerToken?: string;
}

export function matches(request: RecordedRequest, filter: RequestFilter): boolean {
  if (filter.method && request.method !== filter.method.toUpperCase()) return false;
  if (typeof filter.path === 'string' && request.path !== filter.path) return false;
  if (filter.path instanceof RegExp && !filter.path.test(request.path)) return false;
  for (const [name, expected] of Object.entries(filter.query ?? {})) {
    const actual = request.query.get(name);
    if (actual === null) return false;
    if (typeof expected === 'string' ? actual !== expected : !expected.test(actual)) return false;
  }
  for (const [name, expected] of Object.entries(filter.headers ?? {})) {
    const raw = request.headers[name.toLowerCase()];
    const actual = Array.isArray(raw) ? raw.join(', ') : raw;
    if (actual === undefined) return false;
    if (typeof expected === 'string' ? actual !== expected : !expected.test(actual)) return false;
  }
  if (filter.bearerToken !== undefined && request.bearerToken !== filter.bearerToken) return false;
  return true;
}

/** The request log, with a way to wait for a request that has not arrived yet. */
export class RequestRecorder {
  readonly requests: RecordedRequest[] = [];
  #waiters = new Set<{ filter: RequestFilter; resolve: (r: RecordedRequest) => void }>();

  record(request: RecordedRequest): void {
    this.requests.push(request);
    for (const waiter of this.#waiters) {
      if (matches(request, waiter.filter)) {
        this.#waiters.delete(waiter);
        waiter.resolve(request);
      }
    }
  }

  received(filter: RequestFilter = {}): RecordedRequest[] {
    return this.requests.filter((r) => matches(r, filter));
  }

  /** Resolves with the first matching request, already received or arriving within `timeoutMs`. */
  waitFor(filter: RequestFilter, timeoutMs = 10_000): Promise<RecordedRequest> {
    const seen = this.received(filter)[0];
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = {
        filter,
        resolve: (r: RecordedRequest) => {
          clearTimeout(timer);
          resolve(r);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(
          new TestkitError(
            TestkitErrorCode.WaitTimeout,
            `the upstream received no request matching ${describe(filter)} within ${timeoutMs} ms; ` +
              `it received: ${this.requests.map((r) => `${r.method} ${r.path}`).join(', ') || 'nothing'}`,
          ),
        );
      }, timeoutMs);
      this.#waiters.add(waiter);
    });
  }

  reset(): void {
    this.requests.length = 0;
  }
}

function describe(filter: RequestFilter): string {
  return JSON.stringify(filter, (_key, value) => (value instanceof RegExp ? String(value) : value));
}
