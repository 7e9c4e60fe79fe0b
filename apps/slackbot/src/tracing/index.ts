/** What a vote span learns about one click. */
export interface VoteAttributes {
  readonly approvalId: string;
  /** The clicker's Slack user id. */
  readonly voter: string;
  readonly decision: 'approve' | 'deny';
  /** The approval's stored `traceparent`, the gateway span holding the request; absent when none. */
  readonly traceparent: string | undefined;
}

/** The handling of one vote click, ended with what the click came to. */
export interface VoteSpan {
  end(outcome: string): void;
}

/** Starts vote spans (tracing/otel.ts); absent when telemetry is off. */
export interface VoteTracer {
  /** A span linked (not parented: the vote is its own trace) to the gateway span of the held request. */
  vote(attributes: VoteAttributes): VoteSpan;
  /** Exports what is still buffered, then stops. */
  close(): Promise<void>;
}

const NOOP_VOTE: VoteSpan = { end() {} };

/** What votes use when tracing is off: no allocation, no SDK loaded. */
export const NOOP_TRACER: VoteTracer = {
  vote: () => NOOP_VOTE,
  close: async () => {},
};
