import type { LuaScript } from './run.js';

/**
 * stale: dispatched -> stale. The replica that claimed the dispatch found the target changed since
 * it was approved (recreated, modified, or a namespace grown) and sent nothing. Only that claim's
 * holder may do it, and only before anything was recorded as sent (no upstream status yet).
 *
 * KEYS[1] approval  keys.approval(id)
 * ARGV[1] id
 * ARGV[2] now (epoch ms)
 * ARGV[3] holder (the gateway replica id that claimed the dispatch)
 * ARGV[4] reason (one sentence for kubectl, Slack and the audit)
 * KEYS[2] audit outbox
 * ARGV[5] events channel
 * ARGV[6] now as ISO 8601
 * Returns {1, HGETALL approval} marked stale | {-1} not found
 *       | {-2, state} not dispatched, already completed, or claimed by another holder.
 */
export const staleScript: LuaScript = {
  name: 'stale',
  numberOfKeys: 2,
  lua: `
local a = redis.call('HMGET', KEYS[1], 'state', 'dispatchHolder', 'dispatchStatus')
if not a[1] then return {-1} end
if a[1] ~= 'dispatched' or a[2] ~= ARGV[3] or a[3] then return {-2, a[1]} end
redis.call('HSET', KEYS[1], 'state', 'stale', 'staleReason', ARGV[4], 'staleAt', ARGV[2])
record(KEYS[2], {type = 'approval.stale', approvalId = ARGV[1], reason = ARGV[4], holder = ARGV[3], time = ARGV[6]})
announce(KEYS[1], ARGV[5], ARGV[1], 'stale', 'stale')
return {1, redis.call('HGETALL', KEYS[1])}
`,
};
