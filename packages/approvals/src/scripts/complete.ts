import type { LuaScript } from './run.js';

/**
 * complete: dispatched -> completed, recording the upstream status, or that there is none.
 *
 * KEYS[1] approval  keys.approval(id)
 * ARGV[1] id
 * ARGV[2] upstream HTTP status ('' when the cluster never answered)
 * ARGV[3] duration ms
 * KEYS[2] audit outbox
 * ARGV[4] events channel
 * ARGV[5] now as ISO 8601
 * ARGV[6] without a status: 'not-sent' | 'no-answer'
 * ARGV[7] without a status: why, in a few words
 * Returns {1, HGETALL approval} completed | {-1} not found | {-2, state} not dispatched.
 */
export const completeScript: LuaScript = {
  name: 'complete',
  numberOfKeys: 2,
  lua: `
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return {-1} end
if state ~= 'dispatched' then return {-2, state} end
redis.call('HSET', KEYS[1], 'state', 'completed', 'dispatchDurationMs', ARGV[3])
if ARGV[2] ~= '' then
  redis.call('HSET', KEYS[1], 'dispatchStatus', ARGV[2])
  record(KEYS[2], {type = 'approval.completed', approvalId = ARGV[1], status = tonumber(ARGV[2]),
    durationMs = tonumber(ARGV[3]), time = ARGV[5]})
else
  redis.call('HSET', KEYS[1], 'dispatchUnanswered', ARGV[6], 'dispatchUnansweredWhy', ARGV[7])
  record(KEYS[2], {type = 'approval.completed', approvalId = ARGV[1], unanswered = ARGV[6], why = ARGV[7],
    durationMs = tonumber(ARGV[3]), time = ARGV[5]})
end
announce(KEYS[1], ARGV[4], ARGV[1], 'completed', 'completed')
return {1, redis.call('HGETALL', KEYS[1])}
`,
};
