import type { LuaScript } from './run.js';

/** Outcomes of {@link placeScript}; `NotFound` (-1) is the only failure. */
export enum PlaceOutcome {
  /** Took one of the agent's places: post its own message. */
  Own = 1,
  /** Placed before (a retried post job): it has its place. */
  AlreadyOwn = 2,
  /** The agent's places are taken (or older requests wait): listed in the burst message. */
  Coalesced = 3,
  /** Coalesced before (a retried post job). */
  AlreadyCoalesced = 4,
  /** Not pending any more: its message shows how it ended, and takes no place. */
  NotPending = 5,
}

/**
 * place: does this approval get a Slack message of its own, or wait in its agent's burst message?
 * At most `limit` of an agent's pending approvals have their own message; decided here, in one
 * step, so concurrent post jobs (any replica) never both take the last place. Older waiting
 * approvals go first: a newcomer never takes a free place while one waits (the promoter gives it
 * to the oldest). No state change; the approval hash is not written.
 *
 * KEYS[1] approval        keys.approval(id)
 * KEYS[2] agent's posted  keys.posted(agent)
 * KEYS[3] agent's waiting keys.waiting(agent)
 * KEYS[4] audit outbox
 * ARGV[1] id
 * ARGV[2] limit (slack.coalesceAfter, >= 1)
 * ARGV[3] now as ISO 8601
 * Returns {outcome, waiting count, free places} with outcome a PlaceOutcome, or {-1} not found.
 */
export const placeScript: LuaScript = {
  name: 'place',
  numberOfKeys: 4,
  lua: `
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return {-1} end
local limit = tonumber(ARGV[2])
local function reply(outcome)
  return {outcome, redis.call('ZCARD', KEYS[3]), math.max(0, limit - redis.call('SCARD', KEYS[2]))}
end
if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 1 then return reply(2) end
if redis.call('ZSCORE', KEYS[3], ARGV[1]) then return reply(4) end
if state ~= 'pending' then return reply(5) end
if redis.call('SCARD', KEYS[2]) < limit and redis.call('ZCARD', KEYS[3]) == 0 then
  redis.call('SADD', KEYS[2], ARGV[1])
  return reply(1)
end
redis.call('ZADD', KEYS[3], redis.call('HGET', KEYS[1], 'createdAt'), ARGV[1])
record(KEYS[4], {type = 'approval.coalesced', approvalId = ARGV[1],
  agent = redis.call('HGET', KEYS[1], 'agent'), waiting = redis.call('ZCARD', KEYS[3]), time = ARGV[3]})
return reply(3)
`,
};
