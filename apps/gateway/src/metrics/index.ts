import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** What the gateway measures; one registry per gateway so tests and replicas do not share state. */
export interface GatewayMetrics {
  readonly registry: Registry;
  /** Requests by cluster and outcome of the policy (allow, deny, require, grant, unauthorized...). */
  readonly requests: Counter<'cluster' | 'decision'>;
  /**
   * Decisions by the rule that made them (`(default)` when none did; mode `enforce`) and matches of
   * rules in audit or warn mode (what they would have done), by rule, mode and effect.
   */
  readonly policyRules: Counter<'rule' | 'mode' | 'effect'>;
  /**
   * Allowed requests not written to the audit chain because the allow rule that decided says
   * `auditLevel: None`, by that rule: what the chain leaves out is still counted.
   */
  readonly auditUnrecorded: Counter<'rule'>;
  /** Connections held for an approval right now. */
  readonly held: Gauge;
  /** How long held requests waited, by how the wait ended. */
  readonly approvalWait: Histogram<'outcome'>;
  /** Time until the upstream answered with headers (streams last longer; that is not latency). */
  readonly upstreamLatency: Histogram<'cluster' | 'kind'>;
  /** Chain events each webhook audit sink has not delivered yet, read from Redis at each scrape. */
  readonly auditSinkBacklog: Gauge<'sink'>;
  /** 1 once a cluster's namespace cache has listed, so selectors read its labels; 0 before. */
  readonly namespaceCacheSynced: Gauge<'cluster'>;
  /** Seconds since the namespace cache last heard from its list or watch (bookmarks included), read at each scrape. */
  readonly namespaceCacheLastEvent: Gauge<'cluster'>;
  /** Lists after the first, each because the watch's resourceVersion or a list's continue token expired (410 Gone). */
  readonly namespaceCacheRelists: Counter<'cluster'>;
}

/** What the metrics read from elsewhere when scraped. */
export interface MetricSources {
  /** `AuditLog.sinkBacklog`. */
  readonly auditSinkBacklog?:
    | (() => Promise<readonly { readonly sink: string; readonly events: number }[]>)
    | undefined;
  /** Each namespace cache's seconds since its last list or watch event; undefined before the first. */
  readonly namespaceCacheAges?:
    | (() => readonly { readonly cluster: string; readonly seconds: number | undefined }[])
    | undefined;
}

export function createMetrics(sources: MetricSources = {}): GatewayMetrics {
  const registry = new Registry();
  return {
    registry,
    requests: new Counter({
      name: 'gatehouse_gateway_requests_total',
      help: 'Requests to clusters by policy decision',
      labelNames: ['cluster', 'decision'],
      registers: [registry],
    }),
    policyRules: new Counter({
      name: 'gatehouse_gateway_policy_rule_matches_total',
      help: 'Requests decided by each policy rule (mode enforce) and matched by rules in audit or warn mode',
      labelNames: ['rule', 'mode', 'effect'],
      registers: [registry],
    }),
    auditUnrecorded: new Counter({
      name: 'gatehouse_audit_unrecorded_requests_total',
      help: 'Allowed requests left out of the audit chain by a policy rule with auditLevel None, by rule',
      labelNames: ['rule'],
      registers: [registry],
    }),
    held: new Gauge({
      name: 'gatehouse_gateway_held_requests',
      help: 'Requests held on their connection waiting for approval',
      registers: [registry],
    }),
    approvalWait: new Histogram({
      name: 'gatehouse_gateway_approval_wait_seconds',
      help: 'Time a held request waited, by outcome',
      labelNames: ['outcome'],
      buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800],
      registers: [registry],
    }),
    upstreamLatency: new Histogram({
      name: 'gatehouse_gateway_upstream_latency_seconds',
      help: 'Time until the upstream API server answered (response headers or upgrade)',
      labelNames: ['cluster', 'kind'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    auditSinkBacklog: new Gauge({
      name: 'gatehouse_audit_sink_backlog_events',
      help: 'Audit chain events a webhook sink has not delivered yet (the Redis stream holds them)',
      labelNames: ['sink'],
      registers: [registry],
      async collect() {
        for (const { sink, events } of (await sources.auditSinkBacklog?.()) ?? []) this.set({ sink }, events);
      },
    }),
    namespaceCacheSynced: new Gauge({
      name: 'gatehouse_gateway_namespace_cache_synced',
      help: 'Whether the namespace label cache of a cluster has listed (1) or not (0: selectors fail closed)',
      labelNames: ['cluster'],
      registers: [registry],
    }),
    namespaceCacheLastEvent: new Gauge({
      name: 'gatehouse_gateway_namespace_cache_staleness_seconds',
      help: 'Seconds since the namespace label cache last heard from its list or watch (bookmarks included)',
      labelNames: ['cluster'],
      registers: [registry],
      collect() {
        for (const { cluster, seconds } of sources.namespaceCacheAges?.() ?? [])
          if (seconds !== undefined) this.set({ cluster }, seconds);
      },
    }),
    namespaceCacheRelists: new Counter({
      name: 'gatehouse_gateway_namespace_cache_relists_total',
      help: 'Lists of namespaces after the first, because the watch resourceVersion or a continue token expired (410 Gone)',
      labelNames: ['cluster'],
      registers: [registry],
    }),
  };
}
