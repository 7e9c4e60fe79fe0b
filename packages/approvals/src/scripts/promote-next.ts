import type { LuaScript } from './run.js';

/**
 * promote-next: while the agent has fewer than `limit` approvals on their own messages, its oldest
 * waiting approval gets one. Run after any of the agent's approvals left pending (the transition
 * removed it from `posted`); a no-op when nothing is free or nothing waits. Every id in `waiting`
 * is pending (transitions out of pending remove it), so none is promoted after it ended; one past
 * its expiry (created at or before the cutoff) is left for the sweeper to expire, not posted.
 *
 * KEYS[1] agent's posted  keys.posted(agent)
 * KEYS[2] agent's waiting keys.waiting(agent)
 * KEYS[3] agent's burst   keys.burst(agent)
 * KEYS[4] audit outbox
 * ARGV[1] limit (slack.coalesceAfter, >= 1)
 * ARGV[2] agent id
 * ARGV[3] now as ISO 8601
 * ARGV[4] cutoff (epoch ms): now - request TTL; waiting approvals created at or before it are due to expire
 * Returns {burst, promoted id...}: burst is 1 when the burst message needs rendering (it exists,
 * requests wait, or some were promoted), else 0.
 */
export const promoteNextScript: LuaScript = {
  name: 'promote-next',
  numberOfKeys: 4,
  lua: `
local promoted = {}
while redis.call('SCARD', KEYS[1]) < tonumber(ARGV[1]) do
  local oldest = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. ARGV[4], '+inf', 'LIMIT', 0, 1)
  if #oldest == 0 then break end
  redis.call('ZREM', KEYS[2], oldest[1])
  redis.call('SADD', KEYS[1], oldest[1])
  record(KEYS[4], {type = 'approval.promoted', approvalId = oldest[1], agent = ARGV[2], time = ARGV[3]})
  promoted[#promoted + 1] = oldest[1]
end
local burst = 0
if #promoted > 0 or redis.call('EXISTS', KEYS[3]) == 1 or redis.call('ZCARD', KEYS[2]) > 0 then burst = 1 end
return {burst, unpack(promoted)}
`,
};
