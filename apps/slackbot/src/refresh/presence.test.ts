import { createApprovals } from '@gatehouse/approvals';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Harness, openInput, REDIS_URL } from '../test-support/index.js';

let h: Harness;
beforeEach(async () => {
  h = await new Harness().start();
});
afterEach(() => h.close());

describe('the approval message and requester presence', () => {
  it('says the requester disconnected once the gateway holding it crashed, with no leave()', async () => {
    const gateway = createApprovals({
      redis: REDIS_URL,
      prefix: h.prefix,
      clock: h.clock,
      requestTtlMs: 600_000,
      grantTtlMs: 600_000,
      sweepIntervalMs: 0,
      presenceLeaseMs: 300,
    });
    const { approval } = await gateway.open(openInput());
    const posted = await h.posted(approval.id);
    expect(h.messageText(posted)).not.toContain('the requester disconnected');
    await gateway.close(); // the process is gone: nobody renews its lease, nobody calls leave()

    await expect
      .poll(
        async () => {
          await h.approvals.sweepExpired();
          return h.messageText(posted);
        },
        { timeout: 15_000, interval: 100 },
      )
      .toMatch(/the requester disconnected at <!date\^\d+\^[^>]+> \(approving creates a one-time grant\)/);
  });
});
