import type { LuaScript } from './run.js';

/**
 * expire: pending -> expired once expiresAt has passed. Never touches a decided approval.
 *
 * KEYS[1] approval       keys.approval(id)
 * KEYS[2] pending index  keys.pending
 * KEYS[3] expiry index   keys.expiries
 * KEYS[4] body           keys.body(id)
 * ARGV[1] id
 * ARGV[2] now (epoch ms)
 * KEYS[5] audit outbox
 * KEYS[6] agent's posted keys.posted(agent)
 * KEYS[7] agent's waiting keys.waiting(agent)
 * ARGV[3] events channel
 * ARGV[4] now as ISO 8601
 * Returns {1, HGETALL approval} expired | {-1} not found | {-2, state} not pending | {-4} not due yet.
 * Not found and not pending also drop the id from the expiry index, so the sweeper stops seeing it.
 * Expiring frees the approval's place among its agent's own messages, or its line in the burst message.
 */
export const expireScript: LuaScript = {
  name: 'expire',
  numberOfKeys: 7,
  lua: `
local state = redis.call('HGET', KEYS[1], 'state')
if not state then
  redis.call('ZREM', KEYS[3], ARGV[1])
  return {-1}
end
if state ~= 'pending' then
  redis.call('ZREM', KEYS[3], ARGV[1])
  return {-2, state}
end
if tonumber(ARGV[2]) < tonumber(redis.call('HGET', KEYS[1], 'expiresAt')) then return {-4} end
redis.call('HSET', KEYS[1], 'state', 'expired', 'decidedAt', ARGV[2])
redis.call('ZREM', KEYS[2], redis.call('HGET', KEYS[1], 'pendingMember'))
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('DEL', KEYS[4])
redis.call('SREM', KEYS[6], ARGV[1])
redis.call('ZREM', KEYS[7], ARGV[1])
record(KEYS[5], {type = 'approval.expired', approvalId = ARGV[1], time = ARGV[4]})
announce(KEYS[1], ARGV[3], ARGV[1], 'expired', 'expired')
return {1, redis.call('HGETALL', KEYS[1])}
`,
};
