import type { IncomingHttpHeaders } from 'node:http';
import type { TelemetryConfig } from '@gatehouse/config';
import { defaultTextMapGetter, ROOT_CONTEXT, SpanKind, type Tracer, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
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
} as const;

/**
 * OpenTelemetry's own SDK: a BasicTracerProvider batching spans to the OTLP/HTTP (JSON) exporter.
 * Contexts are passed explicitly (no global context manager), and the W3C propagator reads the
 * agent's `traceparent`, so a held request's wait shows up in the agent's own trace.
 */
export function createOtelTracer(
  config: TelemetryConfig,
  serviceName: string,
  env: Readonly<Record<string, string | undefined>>,
): RequestTracer {
  const headers: Record<string, string> = { ...config.otlp.headers };
  for (const [header, variable] of Object.entries(config.otlp.headersFromEnv)) {
    const value = env[variable];
    if (!value)
      throw new Error(`telemetry.otlp.headersFromEnv.${header}: ${variable} is not set in the environment`);
    headers[header] = value;
  }
  const exporter = new OTLPTraceExporter({
    url: `${config.otlp.endpoint.replace(/\/+$/, '')}/v1/traces`,
    headers,
    timeoutMillis: config.otlp.timeoutMs,
  });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': config.serviceName ?? serviceName }),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('@gatehouse/gateway');
  const propagator = new W3CTraceContextPropagator();
  return {
    start(method, incoming) {
      const parent = propagator.extract(ROOT_CONTEXT, incoming as IncomingHttpHeaders, defaultTextMapGetter);
      return requestSpan(tracer, parent, method);
    },
    async close() {
      await provider.shutdown();
    },
  };
}

function requestSpan(tracer: Tracer, parent: typeof ROOT_CONTEXT, method: string): RequestSpan {
  const span = tracer.startSpan(
    SPAN.request,
    { kind: SpanKind.SERVER, attributes: { [ATTRIBUTE.method]: method } },
    parent,
  );
  const context = trace.setSpan(parent, span);
  return {
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
    end() {
      span.end();
    },
  };
}
