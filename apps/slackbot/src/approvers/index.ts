import type { AgentConfig, ApproverGroupConfig } from '@gatehouse/config';
import type { Clock } from '@gatehouse/lifecycle';
import { code } from '../render/mrkdwn.js';

/** Where Slack user group members come from; the bot passes `usergroups.users.list`, tests a plain object. */
export interface UsergroupDirectory {
  members(usergroupId: string): Promise<readonly string[]>;
}

export interface ApproverCheckOptions {
  readonly groups: Readonly<Record<string, ApproverGroupConfig>>;
  /** The configured agents: their current owners are refused even if the request recorded others. */
  readonly agents: readonly AgentConfig[];
  readonly directory: UsergroupDirectory;
  /** How long a user group's member list is trusted. A removed member can vote until it runs out. */
  readonly cacheTtlMs: number;
  readonly clock?: Clock;
}

export type Refusal = 'owner' | 'not-member' | 'unknown-group' | 'lookup-failed';

export type Eligibility =
  | { readonly eligible: true }
  | { readonly eligible: false; readonly refusal: Refusal; readonly message: string };

/** What the check needs to know about the request. */
export interface VoteTarget {
  readonly agent: string;
  readonly owners: readonly string[];
  readonly group: string;
}

export interface ApproverCheck {
  check(target: VoteTarget, userId: string): Promise<Eligibility>;
}

interface CachedMembers {
  readonly members: ReadonlySet<string>;
  readonly fetchedAt: number;
}

/**
 * Decides whether a Slack user may vote on a request: a member of the rule's approver group and not
 * an owner of the requesting agent. Fails closed: an unknown group or a failed lookup refuses.
 */
export function createApproverCheck(options: ApproverCheckOptions): ApproverCheck {
  const clock = options.clock ?? Date;
  const cache = new Map<string, CachedMembers>();
  const inFlight = new Map<string, Promise<ReadonlySet<string>>>();

  async function usergroupMembers(usergroupId: string): Promise<ReadonlySet<string>> {
    const cached = cache.get(usergroupId);
    if (cached && clock.now() - cached.fetchedAt < options.cacheTtlMs) return cached.members;
    // Concurrent clicks share one lookup instead of each calling Slack.
    let pending = inFlight.get(usergroupId);
    if (!pending) {
      pending = options.directory
        .members(usergroupId)
        .then((members) => {
          const set = new Set(members);
          cache.set(usergroupId, { members: set, fetchedAt: clock.now() });
          return set;
        })
        .finally(() => inFlight.delete(usergroupId));
      inFlight.set(usergroupId, pending);
    }
    return pending;
  }

  return {
    async check(target, userId) {
      const configuredOwners = options.agents.find((agent) => agent.id === target.agent)?.owners ?? [];
      if (target.owners.includes(userId) || configuredOwners.includes(userId)) {
        return {
          eligible: false,
          refusal: 'owner',
          message: `You own agent ${code(target.agent)}, which asked for this, so you cannot vote on it. Someone else in approver group ${code(target.group)} must decide.`,
        };
      }
      const group = options.groups[target.group];
      if (!group) {
        return {
          eligible: false,
          refusal: 'unknown-group',
          message: `Approver group ${code(target.group)} is not in gatehouse.yaml (approverGroups), so nobody can vote on this yet; ask an admin to add it.`,
        };
      }
      let members: ReadonlySet<string>;
      if ('members' in group) {
        members = new Set(group.members);
      } else {
        try {
          members = await usergroupMembers(group.slackUsergroup);
        } catch (error) {
          return {
            eligible: false,
            refusal: 'lookup-failed',
            message: `Could not check your membership of Slack user group ${code(group.slackUsergroup)} (${code(String((error as Error).message ?? error), 120)}). Nothing was recorded; try again in a moment.`,
          };
        }
      }
      if (!members.has(userId)) {
        const where =
          'members' in group ? 'its configured members' : `Slack user group ${code(group.slackUsergroup)}`;
        return {
          eligible: false,
          refusal: 'not-member',
          message: `Only approver group ${code(target.group)} (${where}) can vote on this, and you are not in it. Nothing was recorded.`,
        };
      }
      return { eligible: true };
    },
  };
}
