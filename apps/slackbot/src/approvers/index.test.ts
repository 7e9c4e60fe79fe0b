import { describe, expect, it } from 'vitest';
import { createApproverCheck, type UsergroupDirectory } from './index.js';

const target = { agent: 'agent-oncall', owners: ['U0ALICE'], group: 'sre-oncall' };

function directory(members: Record<string, string[]>) {
  const calls: string[] = [];
  const dir: UsergroupDirectory & { calls: string[] } = {
    calls,
    async members(id) {
      calls.push(id);
      const found = members[id];
      if (!found) throw new Error('no_such_subteam');
      return found;
    },
  };
  return dir;
}

function setup(members: Record<string, string[]>, ttl = 60_000) {
  const clock = {
    ms: 0,
    now() {
      return this.ms;
    },
  };
  const dir = directory(members);
  const check = createApproverCheck({
    groups: { 'sre-oncall': { slackUsergroup: 'S0SRE' }, dba: { members: ['U0DAVE'] } },
    agents: [
      {
        id: 'agent-oncall',
        tokenSha256: '0'.repeat(64),
        owners: ['U0ALICE', 'U0OWNER2'],
        kubernetes: { user: 'gatehouse:agent:agent-oncall', groups: ['gatehouse:agents'], clusters: {} },
      },
    ],
    directory: dir,
    cacheTtlMs: ttl,
    clock,
  });
  return { check, dir, clock, members };
}

describe('approver check', () => {
  it('admits a member of the Slack user group', async () => {
    const { check } = setup({ S0SRE: ['U0BOB'] });
    expect(await check.check(target, 'U0BOB')).toEqual({ eligible: true });
  });

  it('refuses non-members, owners (recorded or configured) and unknown groups', async () => {
    const { check } = setup({ S0SRE: ['U0BOB', 'U0ALICE', 'U0OWNER2'] });
    expect(await check.check(target, 'U0MALLORY')).toMatchObject({ eligible: false, refusal: 'not-member' });
    expect(await check.check(target, 'U0ALICE')).toMatchObject({ eligible: false, refusal: 'owner' });
    // An owner added in gatehouse.yaml after the request was made is refused too.
    expect(await check.check(target, 'U0OWNER2')).toMatchObject({ eligible: false, refusal: 'owner' });
    expect(await check.check({ ...target, group: 'nobody' }, 'U0BOB')).toMatchObject({
      eligible: false,
      refusal: 'unknown-group',
    });
  });

  it('uses a configured member list without asking Slack', async () => {
    const { check, dir } = setup({});
    expect(await check.check({ ...target, group: 'dba' }, 'U0DAVE')).toEqual({ eligible: true });
    expect(await check.check({ ...target, group: 'dba' }, 'U0BOB')).toMatchObject({ refusal: 'not-member' });
    expect(dir.calls).toEqual([]);
  });

  it('fails closed when the user group cannot be read', async () => {
    const { check } = setup({});
    expect(await check.check(target, 'U0BOB')).toMatchObject({ eligible: false, refusal: 'lookup-failed' });
  });

  it('caches members for the TTL, then sees a removed member as removed', async () => {
    const { check, dir, clock, members } = setup({ S0SRE: ['U0BOB'] }, 60_000);
    expect(await check.check(target, 'U0BOB')).toEqual({ eligible: true });
    members.S0SRE = [];

    clock.ms = 59_999;
    expect(await check.check(target, 'U0BOB')).toEqual({ eligible: true });
    expect(dir.calls).toHaveLength(1);

    clock.ms = 60_000;
    expect(await check.check(target, 'U0BOB')).toMatchObject({ eligible: false, refusal: 'not-member' });
    expect(dir.calls).toHaveLength(2);
  });

  it('shares one lookup between concurrent checks', async () => {
    const { check, dir } = setup({ S0SRE: ['U0BOB', 'U0CAROL'] });
    await Promise.all([
      check.check(target, 'U0BOB'),
      check.check(target, 'U0CAROL'),
      check.check(target, 'U0X'),
    ]);
    expect(dir.calls).toEqual(['S0SRE']);
  });
});
