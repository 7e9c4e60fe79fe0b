import type { LuaScript } from './run.js';

/**
 * promote: a waiting (coalesced) approval gets its own message because an approver asked for it
 * ("Post for review" on the burst message). It takes a place even past the limit: a person chose it.
 *
 * KEYS[1] approval        keys.approval(id)
 * KEYS[2] agent's posted  keys.posted(agent)
 * KEYS[3] agent's waiting keys.waiting(agent)
 * KEYS[4] audit outbox
 * ARGV[1] id
 * ARGV[2] the approver as JSON ({id, name?})
 * ARGV[3] now as ISO 8601
 * Returns {1} promoted | {2} not waiting (it has its own message already) | {-2, state} not pending
 * | {-1} not found.
 */
export const promoteScript: LuaScript = {
  name: 'promote',
  numberOfKeys: 4,
  lua: `
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return {-1} end
if state ~= 'pending' then return {-2, state} end
if redis.call('ZREM', KEYS[3], ARGV[1]) == 0 then return {2} end
redis.call('SADD', KEYS[2], ARGV[1])
record(KEYS[4], {type = 'approval.promoted', approvalId = ARGV[1],
  agent = redis.call('HGET', KEYS[1], 'agent'), by = cjson.decode(ARGV[2]), time = ARGV[3]})
return {1}
`,
};
