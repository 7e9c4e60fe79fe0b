import type { AuditLevel } from './spec/schema.js';

/**
 * The contract between the gateway and the policy engine. The gateway hands over one
 * HTTP request as it arrived (after the `/clusters/<name>` prefix is removed); the
 * engine turns it into an {@link Action} and decides.
 */

/** One HTTP request as the gateway sees it. */
export interface KubeRequest {
  /** Upper-case HTTP method as received. */
  readonly method: string;
  /** Path after the cluster prefix, starting with `/`, exactly as received (not decoded). */
  readonly path: string;
  /** Raw query string without the leading `?` ('' when none). */
  readonly query: string;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The request body when the gateway buffered one (mutating requests). */
  readonly body?: Uint8Array | undefined;
}

/** Kubernetes authorization verbs, plus the connect verbs kubectl users think in. */
export type Verb =
  | 'get'
  | 'list'
  | 'watch'
  | 'create'
  | 'update'
  | 'patch'
  | 'delete'
  | 'deletecollection'
  | 'exec'
  | 'attach'
  | 'portforward'
  | 'proxy'
  | 'unknown';

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply' | 'unknown';

/** A request on a resource URL (`/api/v1/...`, `/apis/<group>/<version>/...`). */
export interface ResourceAction {
  readonly kind: 'resource';
  readonly verb: Verb;
  /**
   * The HTTP method and raw path/query as received, for rendering and audit. Always set by
   * `parseAction`; optional so hand-built actions (test fakes) stay valid.
   */
  readonly method?: string | undefined;
  readonly path?: string | undefined;
  readonly query?: string | undefined;
  /** '' for the core group. */
  readonly apiGroup: string;
  readonly apiVersion: string;
  /** Plural resource name, lower case: `pods`, `deployments`. */
  readonly resource: string;
  readonly subresource?: string | undefined;
  readonly namespace?: string | undefined;
  readonly name?: string | undefined;
  /**
   * A server-side dry run, read as the API server does: every `dryRun` value in the query is `All`
   * (for a DELETE with a body, every value of `dryRun` in DeleteOptions there), and there is one.
   */
  readonly dryRun: boolean;
  /** True only for get/list/watch (and dry runs never make something read-only). */
  readonly readOnly: boolean;
  /**
   * The request may leave a scalable workload (or anything through its `scale` subresource) with
   * no replicas: it sets `spec.replicas` to anything but an integer in [1, 2³¹−1] — 0, negative,
   * fractional, beyond int32 (the API server truncates 4294967296 to 0), a string, null or removed
   * (a Scale without replicas is 0). Also true when such a PUT/PATCH has a body the parser cannot
   * read (fail closed): then `replicas` is undefined.
   */
  readonly scaleToZero: boolean;
  /** The number the body sets `spec.replicas` to, as written (not truncated to int32). */
  readonly replicas?: number | undefined;
  /**
   * The request creates or changes what pods run: a create or PUT of a pod or of a pod-template
   * workload (deployments, statefulsets, daemonsets, replicasets, replicationcontrollers, jobs,
   * cronjobs, podtemplates), or a patch that reaches a pod's `spec` or the workload's
   * `spec.template` (`spec.jobTemplate`) — `kubectl set image`, `rollout restart`, a nodeSelector.
   * A patch body the parser cannot read counts. Optional so hand-built actions stay valid.
   */
  readonly podTemplate?: boolean | undefined;
  /** PATCH only: which patch format the Content-Type announced (`apply` = server-side apply). */
  readonly patchType?: PatchType | undefined;
  /** exec/attach: the command and container from the query. */
  readonly command?: readonly string[] | undefined;
  readonly container?: string | undefined;
  readonly labelSelector?: string | undefined;
  readonly fieldSelector?: string | undefined;
}

/** A non-resource URL: `/version`, `/api`, `/apis`, `/openapi/v3`, `/healthz`... */
export interface NonResourceAction {
  readonly kind: 'nonResource';
  readonly verb: Verb;
  /** Always set by `parseAction`; optional so hand-built actions stay valid. */
  readonly method?: string | undefined;
  readonly path: string;
  /** Discovery and schema calls kubectl makes before anything else: never held. */
  readonly discovery: boolean;
  readonly readOnly: boolean;
}

/** A request the parser could not classify. Always treated as mutating (fail closed). */
export interface UnclassifiedAction {
  readonly kind: 'unclassified';
  readonly verb: 'unknown';
  readonly method: string;
  readonly path: string;
  readonly reason: string;
  readonly readOnly: false;
  /**
   * The API server itself would refuse the request (an unsupported `dryRun` value, a query Go
   * versions read differently): no rule applies, the gateway answers 400 rather than guess.
   */
  readonly badRequest?: true | undefined;
}

export type Action = ResourceAction | NonResourceAction | UnclassifiedAction;

/**
 * Labels the gateway looked up for a selector, or why it has none (the namespace cache has not
 * synced, the GET failed). Unknown labels fail closed: see `namespaceSelector` in the README.
 */
export type LabelLookup =
  | { readonly labels: Readonly<Record<string, string>> }
  | { readonly unknown: string };

/** What the policy is asked about. */
export interface PolicyContext {
  readonly cluster: string;
  readonly agent: string;
  readonly action: Action;
  /** The request as received: conditions read its body as `object`. Absent or bodiless: `object` is null. */
  readonly request?: KubeRequest | undefined;
  /** The namespace (its metadata: labels, annotations) where the gateway read it; `namespaceObject` in conditions. */
  readonly namespaceObject?: unknown;
  /** The labels of the request's namespace, for `namespaceSelector`. Absent: unknown (fails closed). */
  readonly namespaceLabels?: LabelLookup | undefined;
  /** The labels of the object the request is about, for `objectSelector`. Absent: unknown (fails closed). */
  readonly objectLabels?: LabelLookup | undefined;
  /** The object as stored, where the gateway read it; `oldObject` in conditions. */
  readonly oldObject?: unknown;
}

/** A rule in `audit` or `warn` mode that matched: what it would have done had it been enforced. */
export interface ObservedRule {
  readonly rule: string;
  readonly mode: 'audit' | 'warn';
  readonly effect: 'allow' | 'deny' | 'require';
  readonly reason: string;
}

export type Decision = (
  | {
      readonly effect: 'allow';
      readonly rule: string | null;
      /**
       * Set when the allow rules that matched lowered the audit record (`rule` then names one):
       * `Metadata` keeps who did what to which object and the answer, `None` nothing but a count.
       * Absent: the full record.
       */
      readonly auditLevel?: Exclude<AuditLevel, 'Request'> | undefined;
    }
  | { readonly effect: 'deny'; readonly rule: string | null; readonly reason: string }
  | {
      readonly effect: 'require';
      readonly rule: string;
      readonly reason: string;
      /** Approver group name (a key of `approverGroups` in the config). */
      readonly group: string;
      /** Distinct approvals needed. */
      readonly approvals: number;
    }
) & {
  /** Rules in audit or warn mode that matched, in rule order; absent when none did. */
  readonly observed?: readonly ObservedRule[] | undefined;
};
