import type { TelemetryConfig } from '@gatehouse/config';
import { createOtlpTracer, extractContext, traceparentOf } from '@gatehouse/telemetry';
import { type Context, SpanKind, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api';
import type { RequestSpan, RequestTracer } from './index.js';

/** Span and attribute names, in one place (the README's "Tracing" lists them). */
export const SPAN = { request: 'gatehouse.request', wait: 'gatehouse.approval.wait' } as const;
export const ATTRIBUTE = {
  cluster: 'gatehouse.cluster',
  agent: 'gatehouse.agent',
  verb: 'gatehouse.verb',
  resource: 'gatehouse.resource',
  decision: 'gatehouse.decision',
  rule: 'gatehouse.rule',
  approvalId: 'gatehouse.approval.id',
  outcome: 'gatehouse.approval.outcome',
  method: 'http.request.method',
  status: 'http.response.status_code',
} as const;

/**
 * Request spans on the shared OTLP tracer (@gatehouse/telemetry). Contexts are passed explicitly (no
 * global context manager), and the agent's W3C `traceparent` is honoured, so a held request's wait
 * shows up in the agent's own trace.
 */
export function createOtelTracer(
  config: TelemetryConfig,
  serviceName: string,
  env: Readonly<Record<string, string | undefined>>,
): RequestTracer {
  const { tracer, close } = createOtlpTracer(config, { serviceName, scope: '@gatehouse/gateway' }, env);
  return {
    start: (method, incoming) => requestSpan(tracer, extractContext(incoming), method),
    close,
  };
}

function requestSpan(tracer: Tracer, parent: Context, method: string): RequestSpan {
  const span = tracer.startSpan(
    SPAN.request,
    { kind: SpanKind.SERVER, attributes: { [ATTRIBUTE.method]: method } },
    parent,
  );
  const context = trace.setSpan(parent, span);
  return {
    traceparent: traceparentOf(span),
    judged(attributes) {
      span.setAttributes({
        [ATTRIBUTE.cluster]: attributes.cluster,
        [ATTRIBUTE.agent]: attributes.agent,
        [ATTRIBUTE.verb]: attributes.verb,
        ...(attributes.resource !== undefined && { [ATTRIBUTE.resource]: attributes.resource }),
        [ATTRIBUTE.decision]: attributes.decision,
        [ATTRIBUTE.rule]: attributes.rule,
      });
    },
    wait(approvalId) {
      span.setAttribute(ATTRIBUTE.approvalId, approvalId);
      const wait = tracer.startSpan(
        SPAN.wait,
        { attributes: { [ATTRIBUTE.approvalId]: approvalId } },
        context,
      );
      return {
        end(outcome) {
          wait.setAttribute(ATTRIBUTE.outcome, outcome);
          wait.end();
        },
      };
    },
    end(status) {
      if (status !== undefined) {
        span.setAttribute(ATTRIBUTE.status, status);
        // OpenTelemetry's HTTP conventions: a server span is an error for 5xx only; a 4xx is the client's.
        if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      }
      span.end();
    },
  };
}
