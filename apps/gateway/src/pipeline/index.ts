import { createHash, randomUUID } from 'node:crypto';
import type { AgentConfig } from '@gatehouse/config';
import { DEFAULT_RULE, type Decision, type KubeRequest } from '@gatehouse/policy';
import type { Exchange } from '../exchange/types.js';
import { singleHeader } from '../headers/index.js';
import { holdForApproval } from '../hold/index.js';
import { actingAs } from '../impersonation/index.js';
import { kubeStatus } from '../kube-status/index.js';
import { admitHold } from '../limits/hold.js';
import { bodyLease } from '../limits/index.js';
import { refuseByLimit } from '../limits/refuse.js';
import type { GatewayContext } from '../ports.js';
import { type ClusterRoute, parseClusterRoute } from '../routing/index.js';
import { NOOP_SPAN, type RequestSpan } from '../tracing/index.js';
import type { ClusterUpstream } from '../upstream/index.js';
import { forwardAllowed, type JudgedRequest } from './forward.js';
import { recordReceived } from './received.js';

/** The sha256 of no bytes: every GET's body hash, computed once. */
const EMPTY_SHA256 = createHash('sha256').digest('hex');

/** Verbs whose requests are protocol upgrades in Kubernetes. */
const UPGRADABLE: ReadonlySet<string> = new Set(['exec', 'attach', 'portforward', 'proxy']);

/** Runs one request through routing, authentication, the policy and its outcome. */
export async function handleExchange(
  exchange: Exchange,
  ctx: GatewayContext,
  span: RequestSpan = NOOP_SPAN,
): Promise<void> {
  const route = parseClusterRoute(exchange.target);
  if (!route) {
    exchange.reject(
      kubeStatus(
        'NotFound',
        `no such path ${exchange.target.split('?')[0]}; cluster APIs are under /clusters/<name>/`,
      ),
    );
    return;
  }
  const auth = await ctx.authenticate(singleHeader(exchange.headers, 'authorization'));
  if (!auth.ok) {
    // Only configured names become label values: the path is the caller's, and labels must stay few.
    const cluster = ctx.clusters.has(route.cluster) ? route.cluster : '(unknown)';
    ctx.metrics.requests.inc({ cluster, decision: 'unauthorized' });
    exchange.reject(kubeStatus('Unauthorized', auth.message));
    return;
  }
  const { agent, identity } = auth;
  const upstream = ctx.clusters.get(route.cluster);
  if (!upstream) {
    exchange.reject(
      kubeStatus(
        'NotFound',
        `cluster ${route.cluster} is not configured on this gateway; known clusters: ${[...ctx.clusters.keys()].join(', ')}`,
      ),
    );
    return;
  }
  const requestId = randomUUID();
  const lease = bodyLease(ctx.limits.bodyMemory, agent.id);
  try {
    const read = await exchange.readBody({
      limit: ctx.maxBodyBytes,
      timeoutMs: ctx.limits.settings.bodyTimeoutMs,
      reserve: lease.reserve,
    });
    if (read && !read.ok) {
      const limited = { requestId, exchange, agent: agent.id, cluster: route.cluster, path: route.path };
      const { settings } = ctx.limits;
      if (read.reason === 'too-large') {
        exchange.reject(
          kubeStatus(
            'RequestEntityTooLarge',
            `request body is larger than the gateway's limit of ${ctx.maxBodyBytes} bytes`,
          ),
        );
      } else if (read.reason === 'timeout') {
        refuseByLimit(limited, { key: 'gateway.bodyTimeout', max: settings.bodyTimeoutMs }, ctx);
      } else if (read.reason === 'over-budget') {
        const limit =
          lease.refusedBy === 'per-key'
            ? { key: 'gateway.bodyMemoryPerAgent' as const, max: settings.bodyMemoryPerAgentBytes }
            : { key: 'gateway.bodyMemory' as const, max: settings.bodyMemoryBytes };
        refuseByLimit(limited, limit, ctx);
      }
      return;
    }
    // The body stays in memory (once) until the request is answered: held, then sent upstream.
    await judge({ exchange, ctx, route, agent, identity, upstream, requestId, body: read?.body, span });
  } finally {
    lease.release();
  }
}

interface Received {
  readonly exchange: Exchange;
  readonly ctx: GatewayContext;
  readonly route: ClusterRoute;
  readonly agent: AgentConfig;
  readonly identity: JudgedRequest['identity'];
  readonly upstream: ClusterUpstream;
  readonly requestId: string;
  readonly body: Buffer | undefined;
  readonly span: RequestSpan;
}

/** Rule names come from the config, so they are few enough to be label values. */
function countRules(decision: Decision, ctx: GatewayContext): void {
  const rule = decision.rule ?? DEFAULT_RULE;
  ctx.metrics.policyRules.inc({ rule, mode: 'enforce', effect: decision.effect });
  for (const o of decision.observed ?? []) {
    ctx.metrics.policyRules.inc({ rule: o.rule, mode: o.mode, effect: o.effect });
  }
}

/** Parses, decides and answers a request whose body (if any) has arrived. */
async function judge(received: Received): Promise<void> {
  const { exchange, ctx, route, agent, identity, upstream, body } = received;
  const encoding = singleHeader(exchange.headers, 'content-encoding');
  if (body && body.length > 0 && encoding && encoding.toLowerCase() !== 'identity') {
    // The policy must read the body it judges; an encoded body would pass unread.
    exchange.reject(
      kubeStatus(
        'UnsupportedMediaType',
        `request bodies with Content-Encoding ${encoding} are not accepted; send them uncompressed`,
      ),
    );
    return;
  }
  const request: KubeRequest = {
    method: exchange.method,
    path: route.path,
    query: route.query,
    headers: exchange.headers,
    body,
  };
  const action = ctx.policy.parseAction(request);
  if (exchange.kind === 'upgrade' && !UPGRADABLE.has(action.verb)) {
    // An upgraded connection carries bytes the policy never reads; only streaming verbs may have one.
    exchange.reject(
      kubeStatus(
        'BadRequest',
        `protocol upgrades are accepted only for exec, attach, port-forward and proxy, not for ${exchange.method} ${route.path}`,
      ),
    );
    return;
  }
  // Labels are read with the gateway's own credentials (`upstream`, not the agent's view of it).
  const labels = ctx.labels ? await ctx.labels.lookup(upstream, action) : {};
  const decision = ctx.policy.decide({ cluster: route.cluster, agent: agent.id, action, request, ...labels });
  const runAs = ctx.runAs(agent, route.cluster);
  const judged: JudgedRequest = {
    id: received.requestId,
    exchange,
    route,
    upstream: actingAs(upstream, runAs),
    agent,
    identity,
    runAs,
    body,
    bodySha256: body && body.length > 0 ? createHash('sha256').update(body).digest('hex') : EMPTY_SHA256,
    action,
    command: ctx.policy.renderCommand(action),
    decision,
    span: received.span,
  };
  received.span.judged({
    cluster: route.cluster,
    agent: agent.id,
    verb: action.verb,
    resource: action.kind === 'resource' ? action.resource : undefined,
    decision: decision.effect,
    rule: decision.rule ?? DEFAULT_RULE,
  });
  ctx.metrics.requests.inc({ cluster: route.cluster, decision: decision.effect });
  countRules(decision, ctx);
  if (action.kind === 'unclassified') {
    ctx.logger.warn(
      {
        requestId: judged.id,
        agent: agent.id,
        cluster: route.cluster,
        method: exchange.method,
        path: route.path,
        reason: action.reason,
      },
      'request could not be classified; treated as mutating',
    );
  }
  // A gated request records it once it knows its approval (hold/), an allowed one once the cluster answered.
  if (decision.effect === 'deny') recordReceived(judged, ctx);
  // Allowed requests are most of the traffic and each is in the audit already; a line per request at info
  // cost ~4% of the gateway's CPU under load (BENCHMARKS.md). Denied and held ones stay at info. The
  // line's fields are only gathered when it is written.
  const level = decision.effect === 'allow' ? 'debug' : 'info';
  if (ctx.logger.isLevelEnabled(level)) {
    ctx.logger[level](
      {
        requestId: judged.id,
        agent: agent.id,
        ...(identity.method === 'oidc' && {
          identity: { provider: identity.provider, subject: identity.subject },
        }),
        cluster: route.cluster,
        kind: exchange.kind,
        method: exchange.method,
        path: route.path,
        verb: action.verb,
        decision: decision.effect,
        rule: decision.rule,
        runAs: runAs?.user,
      },
      'request',
    );
  }

  switch (decision.effect) {
    case 'allow':
      await forwardAllowed(judged, ctx);
      return;
    case 'deny':
      if (action.kind === 'unclassified' && action.badRequest) {
        // What the API server would refuse as malformed is refused the same way, not judged.
        exchange.reject(kubeStatus('BadRequest', `gatehouse refused this request: ${decision.reason}`));
        return;
      }
      exchange.reject(
        kubeStatus(
          'Forbidden',
          `gatehouse policy rule ${decision.rule ?? '(default)'} forbids ${judged.command}: ${decision.reason}`,
        ),
      );
      return;
    case 'require': {
      const admitted = admitHold(judged, ctx);
      if (!admitted) return;
      try {
        await holdForApproval(judged, decision, ctx);
      } finally {
        admitted.release();
      }
      return;
    }
  }
}
