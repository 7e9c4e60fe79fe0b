import type { LuaScript } from './run.js';

/**
 * lapse: approved -> lapsed once grantExpiresAt has passed with nobody claiming it: approved, never
 * sent. Never touches a dispatched approval. Whoever runs it first wins; the others get {-2}.
 *
 * KEYS[1] approval      keys.approval(id)
 * KEYS[2] grant index   keys.grants
 * KEYS[3] body          keys.body(id)
 * KEYS[4] audit outbox
 * ARGV[1] id
 * ARGV[2] now (epoch ms)
 * ARGV[3] now as ISO 8601
 * ARGV[4] events channel
 * Returns {1, HGETALL approval} lapsed | {-1} not found | {-2, state} not approved | {-4} not due yet.
 * Not found and not approved also drop the id from the grant index.
 */
export const lapseScript: LuaScript = {
  name: 'lapse',
  numberOfKeys: 4,
  lua: `
local a = redis.call('HMGET', KEYS[1], 'state', 'grantExpiresAt')
if not a[1] then
  redis.call('ZREM', KEYS[2], ARGV[1])
  return {-1}
end
if a[1] ~= 'approved' then
  redis.call('ZREM', KEYS[2], ARGV[1])
  return {-2, a[1]}
end
if tonumber(ARGV[2]) < tonumber(a[2]) then return {-4} end
redis.call('HSET', KEYS[1], 'state', 'lapsed', 'lapsedAt', ARGV[2])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('DEL', KEYS[3])
record(KEYS[4], {type = 'grant.expired', approvalId = ARGV[1], time = ARGV[3]})
announce(KEYS[1], ARGV[4], ARGV[1], 'lapsed', 'lapsed')
return {1, redis.call('HGETALL', KEYS[1])}
`,
};
