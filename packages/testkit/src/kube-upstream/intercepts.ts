import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { matches, type RecordedRequest, type RequestFilter } from './recorder.js';

/** What to do with a request a test wants to misbehave. */
export type InterceptAction =
  /** Wait, then serve normally: for timeout tests. */
  | { delayMs: number }
  /** Run this, then serve normally: a change that lands between two requests (the pages of one list). */
  | { before: (recorded: RecordedRequest) => void | Promise<void> }
  /** Answer this instead of serving; the body defaults to a Kubernetes `Status` failure. */
  | { respond: { status: number; body?: unknown; headers?: Record<string, string> } }
  /** Never answer (until the client gives up or the upstream closes). */
  | { hang: true }
  /** Reset the connection without an answer. */
  | { destroy: true }
  /** Serve it yourself (plain HTTP requests only). */
  | {
      handle: (req: IncomingMessage, res: ServerResponse, recorded: RecordedRequest) => void | Promise<void>;
    };

interface Intercept {
  filter: RequestFilter;
  action: InterceptAction;
  remaining: number;
}

/** The actions after which the request is served as usual. */
export type PassThrough = Extract<InterceptAction, { delayMs: number } | { before: unknown }>;

export const passesThrough = (action: InterceptAction): action is PassThrough =>
  'delayMs' in action || 'before' in action;

/** Runs a pass-through action's wait or hook. */
export async function passThrough(action: PassThrough, recorded: RecordedRequest): Promise<void> {
  if ('delayMs' in action) await sleep(action.delayMs);
  else await action.before(recorded);
}

/** Test-installed misbehaviour, matched in installation order. */
export class Intercepts {
  #list: Intercept[] = [];

  /** Adds an intercept for `times` matching requests (default: all); returns its remover. */
  add(filter: RequestFilter, action: InterceptAction, times = Number.POSITIVE_INFINITY): () => void {
    const intercept = { filter, action, remaining: times };
    this.#list.push(intercept);
    return () => {
      this.#list = this.#list.filter((i) => i !== intercept);
    };
  }

  /** The action for this request, counting it against the intercept's `times`. */
  take(request: RecordedRequest): InterceptAction | undefined {
    const intercept = this.#list.find((i) => i.remaining > 0 && matches(request, i.filter));
    if (!intercept) return undefined;
    intercept.remaining--;
    return intercept.action;
  }

  clear(): void {
    this.#list = [];
  }
}

/** The body an injected failure answers with when the test gave none. */
export function injectedStatus(status: number) {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: `injected by the test (HTTP ${status})`,
    reason: status === 504 ? 'Timeout' : status >= 500 ? 'InternalError' : 'BadRequest',
    code: status,
  };
}
