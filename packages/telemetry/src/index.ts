import type { TelemetryConfig } from '@gatehouse/config';
import {
  type Context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';

/** A tracer exporting to the configured collector, and how to flush and stop it. */
export interface OtlpTracer {
  readonly tracer: Tracer;
  /** Exports what is still buffered, then stops. */
  close(): Promise<void>;
}

/**
 * OpenTelemetry's own SDK: a BasicTracerProvider batching spans to the OTLP/HTTP (JSON) exporter at
 * `telemetry.otlp.endpoint`. Both apps import this module only when `telemetry` is configured, so
 * without it the SDK is never loaded.
 */
export function createOtlpTracer(
  config: TelemetryConfig,
  app: { readonly serviceName: string; readonly scope: string },
  env: Readonly<Record<string, string | undefined>>,
): OtlpTracer {
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
    resource: resourceFromAttributes({ 'service.name': config.serviceName ?? app.serviceName }),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  return {
    tracer: provider.getTracer(app.scope),
    close: () => provider.shutdown(),
  };
}

const propagator = new W3CTraceContextPropagator();

/** The context an incoming request's W3C `traceparent` (and `tracestate`) names; ROOT_CONTEXT when none. */
export function extractContext(headers: Readonly<Record<string, string | string[] | undefined>>): Context {
  return propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter);
}

/** The W3C `traceparent` of a span, to store or send where a later span can link to it. */
export function traceparentOf(span: Span): string | undefined {
  const carrier: Record<string, string> = {};
  propagator.inject(trace.setSpan(ROOT_CONTEXT, span), carrier, defaultTextMapSetter);
  return carrier.traceparent;
}

/** The span context a stored `traceparent` names (for a span link); undefined when absent or malformed. */
export function spanContextOf(traceparent: string | undefined): SpanContext | undefined {
  if (traceparent === undefined) return undefined;
  return trace.getSpanContext(extractContext({ traceparent }));
}
