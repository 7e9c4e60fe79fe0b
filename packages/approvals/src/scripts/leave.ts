import type { LuaScript } from './run.js';

/**
 * leave: one held connection of the approval is gone (the client left, or the hold timed out). When
 * it was the last, the requester is recorded as disconnected; an approved request then waits for the
 * agent's retry (a one-time grant). No state change.
 *
 * KEYS[1] approval      keys.approval(id)
 * KEYS[2] audit outbox
 * ARGV[1] id
 * ARGV[2] now (epoch ms)
 * ARGV[3] now as ISO 8601
 * ARGV[4] events channel
 * Returns {1, HGETALL approval} | {-1} not found.
 */
export const leaveScript: LuaScript = {
  name: 'leave',
  numberOfKeys: 2,
  lua: `
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return {-1} end
local holders = redis.call('HINCRBY', KEYS[1], 'holders', -1)
if holders < 0 then
  redis.call('HSET', KEYS[1], 'holders', 0)
elseif holders == 0 and (state == 'pending' or state == 'approved') then
  redis.call('HSET', KEYS[1], 'requesterGoneAt', ARGV[2])
  record(KEYS[2], {type = 'requester.disconnected', approvalId = ARGV[1], time = ARGV[3]})
  if state == 'approved' then
    record(KEYS[2], {type = 'grant.issued', approvalId = ARGV[1],
      expiresAt = redis.call('HGET', KEYS[1], 'grantExpiresIso'), time = ARGV[3]})
  end
  announce(KEYS[1], ARGV[4], ARGV[1], state, 'presence')
end
return {1, redis.call('HGETALL', KEYS[1])}
`,
};
