import type { Approvals } from '@gatehouse/approvals';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BURST_METADATA_EVENT_TYPE } from '../ids.js';
import type { ApprovalsPort } from '../ports.js';
import { CHANNEL, Harness } from '../test-support/index.js';

let h: Harness;
const saves = { failing: 1 };

/** Stands in for a crash right after the burst message's chat.postMessage: its first save throws. */
function failingFirstBurstSave(approvals: Approvals): ApprovalsPort {
  return new Proxy(approvals, {
    get(target, name) {
      if (name === 'setBurstMessage')
        return async (...args: Parameters<Approvals['setBurstMessage']>) => {
          if (args[1] !== undefined && saves.failing-- > 0)
            throw new Error('simulated crash before the save');
          return target.setBurstMessage(...args);
        };
      const value: unknown = Reflect.get(target, name, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

beforeEach(async () => {
  saves.failing = 1;
  h = await new Harness({ wrapApprovals: failingFirstBurstSave }).start();
});
afterEach(() => h.close());

describe('a slackbot dying between posting the burst message and saving it', () => {
  it('finds the message on the retry instead of posting a second one', async () => {
    for (let i = 0; i < 6; i++) await h.open();
    // The first attempt posts and dies; BullMQ retries the job (after 1 s of backoff).
    await expect
      .poll(async () => (await h.approvals.burst('agent-oncall', 0)).message, { timeout: 30_000 })
      .toBeDefined();
    const saved = (await h.approvals.burst('agent-oncall', 0)).message!;
    expect(saves.failing).toBe(-1);
    const bursts = h.slack
      .messages(CHANNEL)
      .filter((message) => message.metadata?.event_type === BURST_METADATA_EVENT_TYPE);
    expect(bursts.map((message) => message.ts)).toEqual([saved.ts]);
  });
});
