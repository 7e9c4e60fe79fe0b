import type { LuaScript } from './run.js';

/**
 * dispatch: approved -> dispatched, at most once. Used by the holding gateway (via 'hold') and by
 * the agent's retry (via 'grant', which also requires the same agent and fingerprint).
 *
 * KEYS[1] approval  keys.approval(id)
 * KEYS[2] body      keys.body(id)
 * ARGV[1] id
 * ARGV[2] now (epoch ms)
 * ARGV[3] holder (gateway replica id)
 * ARGV[4] 'hold' | 'grant'
 * ARGV[5] required agent ('' = any)
 * ARGV[6] required fingerprint ('' = any)
 * KEYS[3] grant index   keys.grants
 * KEYS[4] audit outbox
 * ARGV[7] events channel
 * ARGV[8] now as ISO 8601
 * Returns {1, HGETALL approval} claimed | {-1} not found
 *       | {-2, state} not approved, grant window over (now >= grantExpiresAt), or agent/fingerprint differ.
 */
export const dispatchScript: LuaScript = {
  name: 'dispatch',
  numberOfKeys: 4,
  lua: `
local a = redis.call('HMGET', KEYS[1], 'state', 'grantExpiresAt', 'agent', 'fingerprint')
if not a[1] then return {-1} end
if a[1] ~= 'approved' or tonumber(ARGV[2]) >= tonumber(a[2]) then return {-2, a[1]} end
if (ARGV[5] ~= '' and ARGV[5] ~= a[3]) or (ARGV[6] ~= '' and ARGV[6] ~= a[4]) then return {-2, a[1]} end
redis.call('HSET', KEYS[1], 'state', 'dispatched', 'dispatchVia', ARGV[4], 'dispatchHolder', ARGV[3],
  'dispatchAt', ARGV[2])
redis.call('DEL', KEYS[2])
redis.call('ZREM', KEYS[3], ARGV[1])
record(KEYS[4], {type = 'dispatch', approvalId = ARGV[1], via = ARGV[4], holder = ARGV[3], time = ARGV[8]})
if ARGV[4] == 'grant' then
  record(KEYS[4], {type = 'grant.used', approvalId = ARGV[1], agent = a[3], time = ARGV[8]})
end
announce(KEYS[1], ARGV[7], ARGV[1], 'dispatched', 'dispatched')
return {1, redis.call('HGETALL', KEYS[1])}
`,
};
