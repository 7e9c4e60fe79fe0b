import { describe, expect, it } from 'vitest';
import type { AuditEvent, StoredEvent } from '../events.js';
import { createK8sAuditConverter } from './convert.js';

/** Chain fields as the store adds them; the converter reads only `seq`, `time` and `hash`. */
function chained(events: readonly AuditEvent[]): StoredEvent[] {
  return events.map((event, index) => ({
    ...event,
    seq: index + 1,
    time: new Date(Date.UTC(2026, 11, 3, 9, 0, index)).toISOString(),
    prevHash: '0'.repeat(64),
    hash: String(index + 1).padStart(64, '0'),
  }));
}

const received = {
  type: 'request.received',
  agent: 'agent-ci',
  cluster: 'prod',
  command: 'kubectl delete namespace web',
  action: {
    kind: 'resource',
    verb: 'delete',
    apiGroup: '',
    apiVersion: 'v1',
    resource: 'namespaces',
    name: 'web',
  },
  decision: { effect: 'require', rule: 'ns-delete', group: 'sre', approvals: 1 },
  request: { method: 'DELETE', path: '/api/v1/namespaces/web', query: '', headers: {} },
  kubectl: {},
} as const;

function convert(events: readonly AuditEvent[]) {
  const converter = createK8sAuditConverter();
  return chained(events).flatMap((event) => converter.push(event));
}

describe('the answer an exported request carries', () => {
  it("an allowed request to an unreachable cluster: the gateway's 503, said to be the gateway's", () => {
    const [event] = convert([
      {
        ...received,
        decision: { effect: 'allow', rule: 'reads' },
        requestId: 'r1',
        response: { unreachable: true, durationMs: 1000 },
      },
    ]);
    expect(event).toMatchObject({
      stage: 'ResponseComplete',
      responseStatus: {
        code: 503,
        reason: 'ServiceUnavailable',
        message: expect.stringContaining('could not be reached'),
      },
      requestReceivedTimestamp: '2026-12-03T08:59:59.000000Z',
    });
  });

  it("an approved request the cluster never answered ends with its approval's completion", () => {
    const events = convert([
      { ...received, requestId: 'r1', approvalId: 'apv-1' },
      { type: 'approval.approved', approvalId: 'apv-1', approvers: [{ id: 'U0BOB' }] },
      { type: 'dispatch', approvalId: 'apv-1', via: 'hold' },
      {
        type: 'approval.completed',
        approvalId: 'apv-1',
        unanswered: 'no-answer',
        why: 'the cluster could not be reached or failed mid-request',
        durationMs: 1000,
      },
    ]);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      auditID: 'r1',
      stage: 'ResponseComplete',
      responseStatus: { code: 503, message: expect.stringContaining('whether it ran is unknown') },
    });
  });

  it('an approved request not sent ends 499; one answered by the cluster ends once, with its status', () => {
    const notSent = convert([
      { ...received, requestId: 'r1', approvalId: 'apv-1' },
      {
        type: 'approval.completed',
        approvalId: 'apv-1',
        unanswered: 'not-sent',
        why: 'the requester left',
        durationMs: 0,
      },
    ]);
    expect(notSent[0]).toMatchObject({
      responseStatus: { code: 499, message: 'not sent: the requester left' },
    });
    const answered = convert([
      { ...received, requestId: 'r1', approvalId: 'apv-1' },
      {
        type: 'upstream.response',
        requestId: 'r1',
        approvalId: 'apv-1',
        cluster: 'prod',
        status: 200,
        durationMs: 5,
      },
      { type: 'approval.completed', approvalId: 'apv-1', status: 200, durationMs: 5 },
    ]);
    expect(answered).toHaveLength(1);
    expect(answered[0]).toMatchObject({ responseStatus: { status: 'Success', code: 200 } });
  });
});

describe('the stage of a long-running request (kube-apiserver: watch, proxy; attach, exec, log, portforward)', () => {
  const allowed = (
    action: { verb: string; name?: string; subresource?: string },
    status: number,
  ): AuditEvent => ({
    ...received,
    decision: { effect: 'allow' as const, rule: 'reads' },
    action: { kind: 'resource' as const, apiGroup: '', apiVersion: 'v1', resource: 'pods', ...action },
    response: { status, durationMs: 1 },
  });
  it('is ResponseStarted once the cluster began answering a stream, whose end the chain does not know', () => {
    const stages = convert([
      allowed({ verb: 'watch' }, 200),
      allowed({ verb: 'get', name: 'web-0', subresource: 'log' }, 200),
      allowed({ verb: 'exec', name: 'web-0', subresource: 'exec' }, 101),
      allowed({ verb: 'get', name: 'web-0' }, 200),
      allowed({ verb: 'watch' }, 403),
    ]).map((event) => event.stage);
    expect(stages).toEqual([
      'ResponseStarted',
      'ResponseStarted',
      'ResponseStarted',
      'ResponseComplete',
      'ResponseComplete',
    ]);
  });

  it('an approved exec whose upgrade the cluster answered is ResponseStarted too', () => {
    const [event] = convert([
      {
        ...received,
        requestId: 'r1',
        approvalId: 'apv-1',
        action: { ...received.action, verb: 'exec', resource: 'pods', subresource: 'exec' },
      },
      {
        type: 'upstream.response',
        requestId: 'r1',
        approvalId: 'apv-1',
        cluster: 'prod',
        status: 101,
        durationMs: 5,
      },
    ]);
    expect(event).toMatchObject({ stage: 'ResponseStarted', responseStatus: { code: 101 } });
  });
});
