import type { TelemetryConfig } from '@gatehouse/config';
import { createOtlpTracer, spanContextOf } from '@gatehouse/telemetry';
import type { VoteTracer } from './index.js';

/** Span and attribute names, in one place (the README's "Tracing" lists them). */
export const SPAN = { vote: 'gatehouse.approval.vote' } as const;
export const ATTRIBUTE = {
  approvalId: 'gatehouse.approval.id',
  voter: 'gatehouse.voter',
  decision: 'gatehouse.vote.decision',
  outcome: 'gatehouse.vote.outcome',
} as const;

/**
 * Vote spans on the shared OTLP tracer (@gatehouse/telemetry). A click arrives from Slack, not from
 * the held request, so its span starts a trace of its own and carries a span link to the gateway's
 * span of that request (the approval's stored `traceparent`): a trace viewer goes from the wait to
 * the votes that ended it and back.
 */
export function createOtelVoteTracer(
  config: TelemetryConfig,
  env: Readonly<Record<string, string | undefined>>,
): VoteTracer {
  const { tracer, close } = createOtlpTracer(
    config,
    { serviceName: 'gatehouse-slackbot', scope: '@gatehouse/slackbot' },
    env,
  );
  return {
    vote({ approvalId, voter, decision, traceparent }) {
      const held = spanContextOf(traceparent);
      const span = tracer.startSpan(SPAN.vote, {
        attributes: {
          [ATTRIBUTE.approvalId]: approvalId,
          [ATTRIBUTE.voter]: voter,
          [ATTRIBUTE.decision]: decision,
        },
        links: held ? [{ context: held }] : [],
      });
      return {
        end(outcome) {
          span.setAttribute(ATTRIBUTE.outcome, outcome);
          span.end();
        },
      };
    },
    close,
  };
}
