import type { LuaScript } from './run.js';

/**
 * release: dispatched -> approved again, for a claim whose WAIT failed (nothing was sent). Only the
 * claim it names is undone — same holder, same claim time, same way — so a claim lost in a failover
 * (the promoted replica never saw it) or one made since by someone else is left alone. The approval
 * is then a grant again: the agent's re-run claims it (or a joined holder does), once.
 *
 * KEYS[1] approval      keys.approval(id)
 * KEYS[2] grant index   keys.grants
 * KEYS[3] audit outbox
 * ARGV[1] id
 * ARGV[2] holder of the claim
 * ARGV[3] claim time (epoch ms, the claim's dispatchAt)
 * ARGV[4] 'hold' | 'grant'
 * ARGV[5] events channel
 * ARGV[6] now as ISO 8601
 * ARGV[7] why (the not-durable message)
 * Returns {1, HGETALL approval} released | {-1} not found | {-2, state} not this claim.
 */
export const releaseScript: LuaScript = {
  name: 'release',
  numberOfKeys: 3,
  lua: `
local a = redis.call('HMGET', KEYS[1], 'state', 'dispatchHolder', 'dispatchAt', 'dispatchVia', 'grantExpiresAt')
if not a[1] then return {-1} end
if a[1] ~= 'dispatched' or a[2] ~= ARGV[2] or a[3] ~= ARGV[3] or a[4] ~= ARGV[4] then return {-2, a[1]} end
redis.call('HSET', KEYS[1], 'state', 'approved')
redis.call('HDEL', KEYS[1], 'dispatchVia', 'dispatchHolder', 'dispatchAt')
redis.call('ZADD', KEYS[2], a[5], ARGV[1])
record(KEYS[3], {type = 'dispatch.released', approvalId = ARGV[1], holder = ARGV[2], reason = ARGV[7], time = ARGV[6]})
announce(KEYS[1], ARGV[5], ARGV[1], 'approved', 'approved')
return {1, redis.call('HGETALL', KEYS[1])}
`,
};
