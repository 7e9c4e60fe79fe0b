import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An OpenTelemetry collector's OTLP/HTTP traces endpoint, as the protocol specification describes it
 * (opentelemetry-proto, docs/specification.md "OTLP/HTTP"): `POST /v1/traces` with an
 * ExportTraceServiceRequest; this stand-in takes the JSON encoding (`Content-Type:
 * application/json`, the one @opentelemetry/exporter-trace-otlp-http sends), where trace and span ids
 * are hex strings and attribute values are AnyValue objects ({stringValue}, {intValue}…). A success
 * is `200` with an ExportTraceServiceResponse (`{}`); protobuf bodies get `415`, which the
 * specification allows a server that does not support that encoding.
 */
export interface RecordedSpan {
  readonly traceId: string;
  readonly spanId: string;
  /** '' for a root span. */
  readonly parentSpanId: string;
  readonly name: string;
  readonly kind: number;
  readonly service: string | undefined;
  readonly attributes: Readonly<Record<string, string | number | boolean>>;
  readonly links: readonly { readonly traceId: string; readonly spanId: string }[];
  /** The span's Status code (trace.proto StatusCode): 0 unset, 1 ok, 2 error. */
  readonly statusCode: number;
}

export interface OtlpReceiver {
  /** The base URL to configure as the OTLP endpoint (`/v1/traces` is appended by exporters). */
  readonly url: string;
  /** Every span received, in arrival order. */
  spans(): RecordedSpan[];
  close(): Promise<void>;
}

interface AnyValue {
  readonly stringValue?: string;
  readonly intValue?: string | number;
  readonly doubleValue?: number;
  readonly boolValue?: boolean;
}
interface KeyValue {
  readonly key: string;
  readonly value: AnyValue;
}
interface JsonSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  readonly kind: number;
  readonly attributes?: readonly KeyValue[];
  readonly links?: readonly { traceId: string; spanId: string }[];
  /** Absent when unset; proto3 JSON leaves out a zero code. */
  readonly status?: { readonly code?: number; readonly message?: string };
}
interface ExportTraceServiceRequest {
  readonly resourceSpans?: readonly {
    readonly resource?: { readonly attributes?: readonly KeyValue[] };
    readonly scopeSpans?: readonly { readonly spans?: readonly JsonSpan[] }[];
  }[];
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const received: RecordedSpan[] = [];
  const server: Server = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    if (req.method !== 'POST' || req.url !== '/v1/traces') {
      res.writeHead(404).end();
      return;
    }
    if (!String(req.headers['content-type']).startsWith('application/json')) {
      res.writeHead(415, { 'content-type': 'text/plain' }).end('only the JSON encoding of OTLP/HTTP');
      return;
    }
    const request = JSON.parse(body) as ExportTraceServiceRequest;
    for (const resourceSpans of request.resourceSpans ?? []) {
      const service = attributesOf(resourceSpans.resource?.attributes)['service.name'];
      for (const scope of resourceSpans.scopeSpans ?? [])
        for (const span of scope.spans ?? [])
          received.push({
            traceId: span.traceId,
            spanId: span.spanId,
            parentSpanId: span.parentSpanId ?? '',
            name: span.name,
            kind: span.kind,
            service: typeof service === 'string' ? service : undefined,
            attributes: attributesOf(span.attributes),
            links: (span.links ?? []).map(({ traceId, spanId }) => ({ traceId, spanId })),
            statusCode: span.status?.code ?? 0,
          });
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans: () => [...received],
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

function attributesOf(list: readonly KeyValue[] | undefined): Record<string, string | number | boolean> {
  const attributes: Record<string, string | number | boolean> = {};
  for (const { key, value } of list ?? []) {
    const plain = value.stringValue ?? value.boolValue ?? value.doubleValue ?? value.intValue;
    if (plain !== undefined)
      attributes[key] = typeof plain === 'string' && value.intValue !== undefined ? Number(plain) : plain;
  }
  return attributes;
}
