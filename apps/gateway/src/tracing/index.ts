import type { IncomingHttpHeaders } from 'node:http';

/** What a request's span learns once the policy has judged it. */
export interface JudgedAttributes {
  readonly cluster: string;
  readonly agent: string;
  readonly verb: string;
  readonly resource: string | undefined;
  readonly decision: string;
  /** `(default)` when no rule decided, as in the metrics. */
  readonly rule: string;
}

/** The wait of a held request for its approval: a child span of the request's. */
export interface WaitSpan {
  end(outcome: string): void;
}

/** One request through the gateway. */
export interface RequestSpan {
  /**
   * This span's W3C `traceparent`, stored with the approval a held request opens so the slackbot's
   * vote spans link to it; undefined when tracing is off.
   */
  readonly traceparent: string | undefined;
  judged(attributes: JudgedAttributes): void;
  wait(approvalId: string): WaitSpan;
  /** `status`: what the client was sent; undefined when it went away before any answer. */
  end(status: number | undefined): void;
}

/** Starts request spans (tracing/otel.ts); absent from the context when telemetry is off. */
export interface RequestTracer {
  /** The span of one request, a child of the agent's `traceparent` when it sent one. */
  start(method: string, headers: IncomingHttpHeaders): RequestSpan;
  /** Exports what is still buffered, then stops. */
  close(): Promise<void>;
}

const NOOP_WAIT: WaitSpan = { end() {} };

/** What requests carry when tracing is off: no allocation, no SDK loaded. */
export const NOOP_SPAN: RequestSpan = {
  traceparent: undefined,
  judged() {},
  wait: () => NOOP_WAIT,
  end() {},
};
