import type { KubernetesIdentity } from '@gatehouse/config';
import type { Action } from '@gatehouse/policy';
import type {
  ApprovalPreview,
  ApprovalRequest,
  ApprovalState,
  DispatchRecord,
  HeldRequest,
  StaleRecord,
  Vote,
} from '../model.js';

/** Hash fields of a new approval, as field/value pairs for HSET (the body is stored apart). */
export function encodeNew(approval: ApprovalRequest, pendingMember: string): string[] {
  const { bodyBase64: _body, ...request } = approval.request;
  return [
    ...['id', approval.id, 'cluster', approval.cluster, 'agent', approval.agent],
    ...['owners', JSON.stringify(approval.owners), 'action', JSON.stringify(approval.action)],
    ...['command', approval.command, 'request', JSON.stringify(request), 'fingerprint', approval.fingerprint],
    ...['rule', approval.rule, 'reason', approval.reason, 'group', approval.group],
    ...['approvalsNeeded', String(approval.approvalsNeeded)],
    ...['createdAt', String(approval.createdAt), 'expiresAt', String(approval.expiresAt)],
    ...['state', approval.state, 'votes', '[]', 'revision', '0', 'pendingMember', pendingMember],
    ...(approval.runAs ? ['runAs', JSON.stringify(approval.runAs)] : []),
    ...(approval.traceparent ? ['traceparent', approval.traceparent] : []),
  ];
}

/** An HGETALL reply (flat field/value list) back into the model; `body` is the separately stored body. */
export function decodeApproval(flat: readonly unknown[], body?: string | null): ApprovalRequest {
  const f = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) f.set(String(flat[i]), String(flat[i + 1]));
  const text = (name: string): string => {
    const value = f.get(name);
    if (value === undefined) throw new Error(`approval hash lacks field ${name}`);
    return value;
  };
  const optionalNumber = (name: string): number | undefined => {
    const value = f.get(name);
    return value === undefined ? undefined : Number(value);
  };
  const slackChannel = f.get('slackChannel');
  const slackTs = f.get('slackTs');
  const request = JSON.parse(text('request')) as HeldRequest;
  const preview = f.get('preview');
  const runAs = f.get('runAs');
  return {
    id: text('id'),
    cluster: text('cluster'),
    agent: text('agent'),
    owners: JSON.parse(text('owners')) as string[],
    action: JSON.parse(text('action')) as Action,
    command: text('command'),
    request: body ? { ...request, bodyBase64: body } : request,
    runAs: runAs === undefined ? undefined : (JSON.parse(runAs) as KubernetesIdentity),
    fingerprint: text('fingerprint'),
    rule: text('rule'),
    reason: text('reason'),
    group: text('group'),
    approvalsNeeded: Number(text('approvalsNeeded')),
    traceparent: f.get('traceparent'),
    createdAt: Number(text('createdAt')),
    expiresAt: Number(text('expiresAt')),
    state: text('state') as ApprovalState,
    votes: decodeVotes(text('votes')),
    decidedAt: optionalNumber('decidedAt'),
    deniedBy: f.get('deniedBy'),
    denyReason: f.get('denyReason'),
    grantExpiresAt: optionalNumber('grantExpiresAt'),
    dispatch: decodeDispatch(f),
    stale: decodeStale(f),
    holders: Number(f.get('holders') ?? 0),
    requesterGoneAt: optionalNumber('requesterGoneAt'),
    lapsedAt: optionalNumber('lapsedAt'),
    slack:
      slackChannel !== undefined && slackTs !== undefined
        ? { channel: slackChannel, ts: slackTs }
        : undefined,
    preview: preview === undefined ? undefined : (JSON.parse(preview) as ApprovalPreview),
    revision: Number(text('revision')),
  };
}

function decodeVotes(json: string): Vote[] {
  // Lua's cjson writes an empty table as `{}`; only non-empty arrays are ever written back.
  const parsed: unknown = JSON.parse(json);
  if (!Array.isArray(parsed)) return [];
  return parsed.map((raw: Record<string, unknown>) => {
    if (raw.decision !== 'approve' && raw.decision !== 'deny') {
      throw new Error(`stored vote has decision ${JSON.stringify(raw.decision)}`);
    }
    return {
      userId: String(raw.userId),
      userName: typeof raw.userName === 'string' ? raw.userName : undefined,
      decision: raw.decision,
      reason: typeof raw.reason === 'string' ? raw.reason : undefined,
      at: Number(raw.at),
    };
  });
}

function decodeStale(f: ReadonlyMap<string, string>): StaleRecord | undefined {
  const reason = f.get('staleReason');
  const at = f.get('staleAt');
  return reason === undefined || at === undefined ? undefined : { reason, at: Number(at) };
}

function decodeDispatch(f: ReadonlyMap<string, string>): DispatchRecord | undefined {
  const via = f.get('dispatchVia');
  const holder = f.get('dispatchHolder');
  const at = f.get('dispatchAt');
  if ((via !== 'hold' && via !== 'grant') || holder === undefined || at === undefined) return undefined;
  const status = f.get('dispatchStatus');
  const durationMs = f.get('dispatchDurationMs');
  const unansweredKind = f.get('dispatchUnanswered');
  const why = f.get('dispatchUnansweredWhy') ?? '';
  return {
    via,
    holder,
    at: Number(at),
    status: status === undefined ? undefined : Number(status),
    durationMs: durationMs === undefined ? undefined : Number(durationMs),
    unanswered:
      unansweredKind === 'not-sent' || unansweredKind === 'no-answer'
        ? { kind: unansweredKind, why }
        : undefined,
  };
}
