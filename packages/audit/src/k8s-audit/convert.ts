import type { RequestReceivedEvent, ResponseSummary, SlackUser, StoredEvent } from '../events.js';
import { isLongRunning } from './long-running.js';
import type { K8sAuditEvent, K8sStatus, K8sUserInfo } from './types.js';
import { apiServerVerb } from './verb.js';

/** Annotation keys: the audit Event's `annotations` want keys that name their component. */
export const ANNOTATION = {
  decision: 'gatehouse.dev/decision',
  rule: 'gatehouse.dev/rule',
  reason: 'gatehouse.dev/reason',
  approvalId: 'gatehouse.dev/approval-id',
  approvedBy: 'gatehouse.dev/approved-by',
  deniedBy: 'gatehouse.dev/denied-by',
  cluster: 'gatehouse.dev/cluster',
  command: 'gatehouse.dev/command',
  limit: 'gatehouse.dev/limit',
  chainSeq: 'gatehouse.dev/chain-seq',
  chainHash: 'gatehouse.dev/chain-hash',
} as const;

/** What an approval's later events told about it, for the requests that used it. */
interface ApprovalFacts {
  approvedBy?: readonly SlackUser[];
  deniedBy?: SlackUser;
  denialReason?: string;
}

/** How a request ended: the answer the agent got. */
interface Outcome {
  readonly status: K8sStatus;
  readonly time: string;
  readonly reason?: string | undefined;
  /** The cluster's answer began here; a long-running request's stream went on past it. */
  readonly started?: true;
}

/**
 * Turns the chain into one `audit.k8s.io/v1` Event per request. Feed it every stored event in
 * chain order; a request's Event comes out once its answer is in the chain (stage
 * ResponseComplete; ResponseStarted for a stream that went on), and `end()` gives the requests still waiting (stage RequestReceived).
 */
export interface K8sAuditConverter {
  push(event: StoredEvent): K8sAuditEvent[];
  end(): K8sAuditEvent[];
}

export function createK8sAuditConverter(): K8sAuditConverter {
  /** Requests without their answer yet, by the gateway's request id (or seq for events without one). */
  const pending = new Map<string, RequestReceivedEvent & StoredEvent>();
  const approvals = new Map<string, ApprovalFacts>();
  const factsOf = (approvalId: string) => {
    const facts = approvals.get(approvalId) ?? {};
    approvals.set(approvalId, facts);
    return facts;
  };
  const complete = (key: string, outcome: Outcome): K8sAuditEvent[] => {
    const request = pending.get(key);
    if (!request) return [];
    pending.delete(key);
    const facts = request.approvalId ? approvals.get(request.approvalId) : undefined;
    return [toK8sEvent(request, facts, outcome)];
  };
  const completeApproval = (approvalId: string, outcome: Outcome): K8sAuditEvent[] =>
    [...pending]
      .filter(([, request]) => request.approvalId === approvalId)
      .flatMap(([key]) => complete(key, outcome));

  return {
    push(event) {
      switch (event.type) {
        case 'request.received': {
          const key = event.requestId ?? `seq-${event.seq}`;
          pending.set(key, event);
          // An allowed request is one event carrying its answer (the gateway records it as the answer starts).
          if (event.response)
            return complete(key, {
              status: responseStatus(event.response),
              time: event.time,
              ...('status' in event.response && { started: true as const }),
            });
          if (event.decision.effect !== 'deny') return [];
          const status = failure(403, 'Forbidden', event.decision.reason);
          return complete(key, { status, time: event.time });
        }
        case 'upstream.response': {
          const outcome = { status: answered(event.status), time: event.time, started: true as const };
          if (event.requestId !== undefined && pending.has(event.requestId))
            return complete(event.requestId, outcome);
          return event.approvalId ? completeApproval(event.approvalId, outcome) : [];
        }
        case 'approval.completed':
          // The store's record of how the dispatch ended; the gateway's `upstream.response` (the same
          // status, when there was one) may have completed these requests already.
          return completeApproval(
            event.approvalId,
            'status' in event
              ? { status: answered(event.status), time: event.time, started: true }
              : { status: unansweredStatus(event), time: event.time },
          );
        case 'request.limited': {
          const outcome = {
            status: failure(event.status, limitReason(event.status), event.message),
            time: event.time,
          };
          if (pending.has(event.requestId)) return complete(event.requestId, outcome);
          return [limitedEvent(event, outcome)];
        }
        case 'approval.approved':
          factsOf(event.approvalId).approvedBy = event.approvers;
          return [];
        case 'approval.denied': {
          const facts = factsOf(event.approvalId);
          facts.deniedBy = event.by;
          facts.denialReason = event.reason;
          const status = failure(403, 'Forbidden', `denied by ${userName(event.by)}: ${event.reason}`);
          return completeApproval(event.approvalId, { status, time: event.time, reason: event.reason });
        }
        case 'approval.expired':
          return completeApproval(event.approvalId, {
            status: failure(403, 'Forbidden', 'the approval expired before anyone decided'),
            time: event.time,
          });
        case 'approval.stale':
          return completeApproval(event.approvalId, {
            status: failure(409, 'Conflict', event.reason),
            time: event.time,
            reason: event.reason,
          });
        case 'requester.disconnected':
          // Every held connection is gone: those requests ended without an answer from the cluster.
          return completeApproval(event.approvalId, {
            status: failure(499, 'ClientClosedRequest', 'the client went away while the request was held'),
            time: event.time,
          });
        default:
          return [];
      }
    },
    end() {
      const waiting = [...pending.values()].map((request) =>
        toK8sEvent(request, request.approvalId ? approvals.get(request.approvalId) : undefined, undefined),
      );
      pending.clear();
      return waiting;
    },
  };
}

function toK8sEvent(
  request: RequestReceivedEvent & StoredEvent,
  facts: ApprovalFacts | undefined,
  outcome: Outcome | undefined,
): K8sAuditEvent {
  const { action, decision, request: http } = request;
  const userAgent = http.headers['user-agent'];
  const sourceIPs = sourceIPsOf(http.headers, http.remoteAddress);
  const reason = outcome?.reason ?? decision.reason;
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    auditID: request.requestId ?? request.hash,
    stage: stageOf(action, outcome),
    requestURI: http.query ? `${http.path}?${http.query}` : http.path,
    verb: apiServerVerb(action, http.method),
    user: agentUser(request),
    ...(request.runAs && { impersonatedUser: identityUser(request.runAs) }),
    ...(sourceIPs.length > 0 && { sourceIPs }),
    ...(userAgent !== undefined && { userAgent }),
    ...(action.kind === 'resource' && {
      objectRef: compact({
        resource: action.resource,
        namespace: action.namespace,
        name: action.name,
        apiGroup: action.apiGroup,
        apiVersion: action.apiVersion,
        subresource: action.subresource,
      }),
    }),
    ...(outcome && { responseStatus: outcome.status }),
    requestReceivedTimestamp: microTime(receivedTime(request)),
    stageTimestamp: microTime(outcome?.time ?? request.time),
    annotations: compact({
      [ANNOTATION.decision]: decision.effect,
      [ANNOTATION.rule]: decision.rule ?? undefined,
      [ANNOTATION.reason]: reason,
      [ANNOTATION.approvalId]: request.approvalId,
      [ANNOTATION.approvedBy]: facts?.approvedBy?.map(userName).join(', '),
      [ANNOTATION.deniedBy]: facts?.deniedBy && userName(facts.deniedBy),
      [ANNOTATION.cluster]: request.cluster,
      [ANNOTATION.command]: request.command,
      [ANNOTATION.chainSeq]: String(request.seq),
      [ANNOTATION.chainHash]: request.hash,
    }),
  };
}

/**
 * A watch, exec or log stream the cluster began answering is ResponseStarted: the chain records when
 * its answer started, not when the stream ended, so ResponseComplete would claim more than is known.
 */
function stageOf(action: RequestReceivedEvent['action'], outcome: Outcome | undefined) {
  if (!outcome) return 'RequestReceived';
  const streaming = outcome.started && outcome.status.code < 300 && isLongRunning(action);
  return streaming ? 'ResponseStarted' : 'ResponseComplete';
}

/** A request refused by a limit before the gateway recorded it as received. */
function limitedEvent(
  event: Extract<StoredEvent, { type: 'request.limited' }>,
  outcome: Outcome,
): K8sAuditEvent {
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    auditID: event.requestId,
    stage: 'ResponseComplete',
    requestURI: event.path,
    verb: event.method.toLowerCase(),
    user: { username: event.agent },
    responseStatus: outcome.status,
    requestReceivedTimestamp: microTime(event.time),
    stageTimestamp: microTime(event.time),
    annotations: {
      [ANNOTATION.decision]: 'limited',
      [ANNOTATION.limit]: event.limit,
      [ANNOTATION.reason]: event.message,
      [ANNOTATION.cluster]: event.cluster,
      [ANNOTATION.chainSeq]: String(event.seq),
      [ANNOTATION.chainHash]: event.hash,
    },
  };
}

/** The agent as the API server would name an authenticated user; how it was known goes in `extra`. */
function agentUser(request: RequestReceivedEvent): K8sUserInfo {
  const identity = request.identity;
  if (identity?.method !== 'oidc') return { username: request.agent };
  return {
    username: request.agent,
    extra: {
      'gatehouse.dev/oidc-provider': [identity.provider],
      'gatehouse.dev/oidc-subject': [identity.subject],
    },
  };
}

function identityUser(identity: NonNullable<RequestReceivedEvent['runAs']>): K8sUserInfo {
  return {
    username: identity.user,
    ...(identity.groups.length > 0 && { groups: identity.groups }),
    ...(identity.extra && Object.keys(identity.extra).length > 0 && { extra: identity.extra }),
  };
}

/**
 * In the order types.go gives: X-Forwarded-For, then X-Real-Ip if not already listed, then the
 * connection's address if it is not the last one listed.
 */
function sourceIPsOf(headers: Readonly<Record<string, string>>, remoteAddress: string | undefined): string[] {
  const ips = (headers['x-forwarded-for'] ?? '')
    .split(',')
    .map((ip) => ip.trim())
    .filter((ip) => ip !== '');
  const realIp = headers['x-real-ip']?.trim();
  if (realIp && !ips.includes(realIp)) ips.push(realIp);
  if (remoteAddress && ips[ips.length - 1] !== remoteAddress) ips.push(remoteAddress);
  return ips;
}

function responseStatus(response: ResponseSummary): K8sStatus {
  if ('aborted' in response)
    return failure(499, 'ClientClosedRequest', 'the client went away before the cluster answered');
  if ('unreachable' in response) return unreachable;
  return answered(response.status);
}

/**
 * When the gateway received the request: its event's time, or — for an allowed request, recorded as the
 * cluster's answer started — that time less the cluster's time to answer.
 */
function receivedTime(request: RequestReceivedEvent & StoredEvent): string {
  const response = request.response;
  if (!response || !('durationMs' in response)) return request.time;
  return new Date(Date.parse(request.time) - response.durationMs).toISOString();
}

/** The gateway's own 503 for a cluster that never answered: the status the agent got, not the cluster's. */
const unreachable = failure(
  503,
  'ServiceUnavailable',
  'the cluster could not be reached; the gateway answered 503',
);

function unansweredStatus(
  event: Extract<StoredEvent, { type: 'approval.completed'; why: string }>,
): K8sStatus {
  return event.unanswered === 'not-sent'
    ? failure(499, 'ClientClosedRequest', `not sent: ${event.why}`)
    : failure(
        503,
        'ServiceUnavailable',
        `no answer from the cluster (${event.why}); whether it ran is unknown`,
      );
}

function answered(code: number): K8sStatus {
  if (code < 400) return { metadata: {}, status: 'Success', code };
  return failure(code, code === 503 ? 'ServiceUnavailable' : undefined, undefined);
}

function failure(code: number, reason: string | undefined, message: string | undefined): K8sStatus {
  return compact({ metadata: {}, status: 'Failure', code, reason, message }) as K8sStatus;
}

function limitReason(code: number): string | undefined {
  return { 408: 'Timeout', 413: 'RequestEntityTooLarge', 429: 'TooManyRequests' }[code];
}

function userName(user: SlackUser): string {
  return user.name ? `${user.name} (${user.id})` : user.id;
}

/** metav1.MicroTime's JSON form (RFC 3339, six fractional digits); the chain keeps milliseconds. */
function microTime(iso: string): string {
  return iso.replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** Drops undefined and empty-string members: the audit types mark them `omitempty`. */
function compact<T extends Record<string, unknown>>(object: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(
    Object.entries(object).filter(([, value]) => value !== undefined && value !== ''),
  ) as { [K in keyof T]: Exclude<T[K], undefined> };
}
