import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../events.js';
import { describe as describeEvent, formatLine, formatStory } from './describe.js';

const chain = { time: '2026-11-26T01:00:00.000Z', seq: 1, prevHash: '0'.repeat(64), hash: 'f'.repeat(64) };
const requested = (runAs?: { user: string; groups: string[] }): StoredEvent => ({
  ...chain,
  type: 'approval.requested',
  approvalId: 'apv1',
  agent: 'agent-oncall',
  cluster: 'prod',
  command: 'kubectl delete namespace payments',
  rule: 'no-namespace-delete',
  reason: 'deleting a namespace deletes everything in it',
  group: 'sre',
  approvalsNeeded: 1,
  expiresAt: '2026-11-26T01:30:00.000Z',
  runAs,
});

/** An allowed `kubectl get pods` by agent-oncall on prod. */
const getPods: StoredEvent = {
  ...chain,
  type: 'request.received',
  agent: 'agent-oncall',
  cluster: 'prod',
  action: { kind: 'resource', verb: 'get', resource: 'pods' },
  command: 'kubectl get pods',
  decision: { effect: 'allow', rule: null },
  request: { method: 'GET', path: '/api/v1/pods', query: '', headers: {} },
  kubectl: {},
};

describe('audit story', () => {
  it('names the identity provider and subject of an agent that came with an identity token', () => {
    const received: StoredEvent = {
      ...getPods,
      identity: { method: 'oidc', provider: 'eks-prod', subject: 'system:serviceaccount:agents:oncall' },
    };
    expect(describeEvent(received)).toBe(
      'agent-oncall (eks-prod: system:serviceaccount:agents:oncall) on prod: kubectl get pods -> allow',
    );
    expect(describeEvent({ ...received, identity: { method: 'static-token' } })).toBe(
      'agent-oncall on prod: kubectl get pods -> allow',
    );
  });

  it("tells an allowed request's answer, which its one event carries", () => {
    const received: StoredEvent = { ...getPods, response: { status: 403, durationMs: 4 } };
    expect(describeEvent(received)).toBe(
      'agent-oncall on prod: kubectl get pods -> allow; the cluster answered 403 in 4 ms',
    );
    expect(describeEvent({ ...received, response: { aborted: true } })).toBe(
      'agent-oncall on prod: kubectl get pods -> allow; the agent went away before the cluster answered',
    );
    expect(describeEvent({ ...received, response: { unreachable: true, durationMs: 30 } })).toBe(
      'agent-oncall on prod: kubectl get pods -> allow; the cluster could not be reached (after 30 ms; the agent got a 503 from the gateway)',
    );
  });

  it('names the rules on trial (audit, warn mode) and what they would have done', () => {
    const received: StoredEvent = {
      ...chain,
      type: 'request.received',
      agent: 'agent-oncall',
      cluster: 'prod',
      action: { kind: 'resource', verb: 'delete', resource: 'pods' },
      command: 'kubectl delete pod web-1 -n prod-api',
      decision: {
        effect: 'allow',
        rule: null,
        observed: [
          { rule: 'prod-delete-trial', mode: 'audit', effect: 'require', reason: 'r' },
          { rule: 'no-deletes', mode: 'warn', effect: 'deny', reason: 'd' },
        ],
      },
      request: { method: 'DELETE', path: '/api/v1/namespaces/prod-api/pods/web-1', query: '', headers: {} },
      kubectl: {},
    };
    expect(describeEvent(received)).toBe(
      'agent-oncall on prod: kubectl delete pod web-1 -n prod-api -> allow [audit rule prod-delete-trial would require; warn rule no-deletes would deny]',
    );
  });

  it('names the Kubernetes identity the request runs as', () => {
    const story = formatStory('apv1', [
      requested({ user: 'gatehouse:agent:agent-oncall', groups: ['gatehouse:agents', 'team:sre'] }),
    ]);
    expect(story).toContain(
      'Approval apv1: agent-oncall on cluster prod as gatehouse:agent:agent-oncall (gatehouse:agents, team:sre)',
    );
  });

  it('reports when a decision took effect, and where the run ended in the words every surface uses', () => {
    const approved: StoredEvent = {
      ...chain,
      seq: 3,
      time: '2026-11-26T01:00:05.000Z',
      type: 'approval.approved',
      approvalId: 'apv1',
      approvers: [{ id: 'U0BOB', name: 'bob' }],
      decidedAt: '2026-11-26T01:00:03.000Z',
    };
    const claimed: StoredEvent = {
      ...chain,
      seq: 4,
      time: '2026-11-26T01:00:06.000Z',
      type: 'dispatch',
      approvalId: 'apv1',
      via: 'hold',
    };
    const answered: StoredEvent = {
      ...chain,
      seq: 5,
      time: '2026-11-26T01:00:07.000Z',
      type: 'approval.completed',
      approvalId: 'apv1',
      status: 200,
      durationMs: 12,
    };
    expect(formatStory('apv1', [requested(), approved, claimed])).toContain(
      'Outcome: approved by bob (U0BOB) at 2026-11-26T01:00:03.000Z; approved — claimed for dispatch at 2026-11-26T01:00:06.000Z on the held connection; no answer from the cluster is recorded yet',
    );
    expect(formatStory('apv1', [requested(), approved, claimed, answered])).toContain(
      'Outcome: approved by bob (U0BOB) at 2026-11-26T01:00:03.000Z; sent to the cluster at 2026-11-26T01:00:06.000Z, answered 200',
    );
  });

  it('ends an approval whose grant lapsed with "never ran", not "approved"', () => {
    const at = (seq: number, time: string) => ({ ...chain, seq, time, approvalId: 'apv1' });
    const story = formatStory('apv1', [
      requested(),
      { ...at(2, '2026-11-26T01:00:01.000Z'), type: 'requester.disconnected' },
      {
        ...at(3, '2026-11-26T01:00:02.000Z'),
        type: 'approval.approved',
        approvers: [{ id: 'U0BOB', name: 'bob' }],
        decidedAt: '2026-11-26T01:00:02.000Z',
      },
      { ...at(4, '2026-11-26T01:00:02.000Z'), type: 'grant.issued', expiresAt: '2026-11-26T01:15:02.000Z' },
      { ...at(5, '2026-11-26T01:15:03.000Z'), type: 'grant.expired' },
    ]);
    expect(story).toMatch(
      /Outcome: approved by bob \(U0BOB\) at 2026-11-26T01:00:02.000Z; approved but never ran: the grant expired unused at 2026-11-26T01:15:03.000Z\n$/,
    );
  });

  it('says a pending request whose requester left turns approving into a grant', () => {
    const story = formatStory('apv1', [
      requested(),
      {
        ...chain,
        seq: 2,
        time: '2026-11-26T01:00:01.000Z',
        approvalId: 'apv1',
        type: 'requester.disconnected',
      },
    ]);
    expect(story).toContain(
      'Outcome: the requester disconnected at 2026-11-26T01:00:01.000Z (approving creates a one-time grant)',
    );
  });

  it('says a dispatch is a claim, not a send; only the answer says sent', () => {
    const dispatch: StoredEvent = {
      ...chain,
      type: 'dispatch',
      approvalId: 'apv1',
      via: 'hold',
      holder: 'gw-1:42:abc',
    };
    expect(describeEvent(dispatch)).toBe(
      'claimed for dispatch on the held connection by gateway replica gw-1:42:abc',
    );
    expect(describeEvent({ ...dispatch, via: 'grant', holder: undefined })).toBe(
      "claimed for dispatch on the agent's retry (single-use grant)",
    );
    expect(
      describeEvent({ ...chain, type: 'approval.completed', approvalId: 'apv1', status: 200, durationMs: 9 }),
    ).toBe('sent to the cluster, answered 200 in 9 ms');
  });

  it('says nothing of an identity where the cluster does not impersonate', () => {
    expect(formatStory('apv1', [requested()])).toContain('Approval apv1: agent-oncall on cluster prod\n');
    expect(describeEvent(requested())).not.toContain(' as ');
  });
});

describe('preview events', () => {
  it('tell the blast radius in the story, as the message showed it', () => {
    const preview: StoredEvent = {
      ...chain,
      seq: 2,
      type: 'approval.preview',
      approvalId: 'apv1',
      status: 'ready',
      summary: 'Would delete namespace payments with 3 deployments, 4 secrets; dry run: would succeed',
      durationMs: 12,
    };
    expect(describeEvent(preview)).toBe(preview.summary);
    expect(formatStory('apv1', [requested(), preview])).toContain(
      '#2      Would delete namespace payments with 3 deployments, 4 secrets; dry run: would succeed',
    );
  });
});

describe('audit text escaping', () => {
  it('shows control, bidi and zero-width characters escaped, in the story and in tail lines', () => {
    const event = {
      ...requested(),
      command: "kubectl exec -n prod web-1 -- sh -c 'echo ok\u202E\u200B'",
      reason: 'held\u001b[2J\nfake line',
    };
    const story = formatStory('apv1', [event]);
    expect(story).toContain("sh -c 'echo ok\\u202E\\u200B'");
    expect(story).not.toMatch(/[\u202E\u200B]/);
    expect(story).not.toContain('\u001b');
    const denied: StoredEvent = {
      ...chain,
      type: 'approval.denied',
      approvalId: 'apv1',
      by: { id: 'U0BOB', name: 'bob\u2066' },
      reason: 'no\u001b[31m\nOutcome: approved',
    };
    const line = formatLine(denied);
    expect(line).toContain('bob\\u2066 (U0BOB): no\\u001B[31m\\nOutcome: approved');
    expect(line.split('\n')).toHaveLength(1);
  });
});
