import type { LuaScript } from './run.js';

/**
 * leave: held connections of the approval are gone — one (the client left, the hold timed out, or
 * the request was answered), or, mode 'lapsed', all those of a store instance whose presence lease
 * ran out (the process crashed or lost Redis and never said so). When none is left, the requester is
 * recorded as disconnected; an approved request then waits for the agent's retry (a one-time grant).
 * A decided approval only loses the count. No state change.
 *
 * KEYS[1] approval      keys.approval(id)
 * KEYS[2] audit outbox
 * KEYS[3] holders       keys.holders(id)
 * KEYS[4] presence set  keys.presence
 * ARGV[1] id
 * ARGV[2] now (epoch ms)
 * ARGV[3] now as ISO 8601
 * ARGV[4] events channel
 * ARGV[5] the store instance whose connection(s) went
 * ARGV[6] '' (one connection) | 'lapsed' (all of the instance's, once its lease is over)
 * Returns {1, revision, state}: revision 0 unless this call recorded the requester as gone (and
 *         announced it) | {-1} not found | {-4} 'lapsed' but the lease was renewed meanwhile.
 */
export const leaveScript: LuaScript = {
  name: 'leave',
  numberOfKeys: 4,
  lua: `
local member = ARGV[5] .. '|' .. ARGV[1]
local gone = 1
if ARGV[6] == 'lapsed' then
  local ends = redis.call('ZSCORE', KEYS[4], member)
  if ends and tonumber(ends) > serverMs() then return {-4} end
  gone = tonumber(redis.call('HGET', KEYS[3], ARGV[5]) or '0')
  redis.call('HDEL', KEYS[3], ARGV[5])
  redis.call('ZREM', KEYS[4], member)
elseif redis.call('HINCRBY', KEYS[3], ARGV[5], -1) <= 0 then
  redis.call('HDEL', KEYS[3], ARGV[5])
  redis.call('ZREM', KEYS[4], member)
end
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return {-1} end
if gone <= 0 then return {1, 0, state} end
local holders = redis.call('HINCRBY', KEYS[1], 'holders', -gone)
if holders < 0 then
  redis.call('HSET', KEYS[1], 'holders', 0)
elseif holders == 0 and (state == 'pending' or state == 'approved') then
  redis.call('HSET', KEYS[1], 'requesterGoneAt', ARGV[2])
  local event = {type = 'requester.disconnected', approvalId = ARGV[1], time = ARGV[3]}
  if ARGV[6] == 'lapsed' then
    event.why = 'the gateway holding the request stopped renewing its presence (it crashed or lost Redis)'
  end
  record(KEYS[2], event)
  if state == 'approved' then
    record(KEYS[2], {type = 'grant.issued', approvalId = ARGV[1],
      expiresAt = redis.call('HGET', KEYS[1], 'grantExpiresIso'), time = ARGV[3]})
  end
  return {1, announce(KEYS[1], ARGV[4], ARGV[1], state, 'presence'), state}
end
return {1, 0, state}
`,
};
